# The failover fault test, sourced by scripts/faults --failover [--short] (it sets $short).
#
# A pg_auto_failover monitor and two nodes (scripts/failover, its own set-up "faults" on ports 6550-6552),
# over TLS with SCRAM passwords, and every client given the one URL that names both nodes with
# target_session_attrs=read-write (reports: prefer-standby). Several
# writers record gatherings, each command with its own idempotency key; a writer whose command is refused
# retries it with the same key every 0.2 s, as a client should. Once a quarter of the commands are
# acknowledged, the primary is stopped (`pg_autoctl stop --fast`). Then:
#   - the standby is promoted and the commands resume on it;
#   - every acknowledged command is in the log exactly once; every command retried again with its key
#     afterwards appends nothing; nothing is in the log twice;
#   - `projections run`, started before, follows the new primary; every projection is up to date; and
#     `audit verify` passes;
#   - with the monitor down, commands go on against the current primary, and `scripts/failover status`
#     says what failed and what to do, naming no connection string or password.
# It prints how long commands were refused and the counts. The short form (3 writers x 40 commands)
# runs in scripts/test; the full form is 4 writers x 250 and then brings the old primary back as a standby.

vigil_ensure_packages pg_autoctl=postgresql-15-auto-failover
export VIGIL_FAILOVER_NAME=faults VIGIL_FAILOVER_PORT=6550
failover="$VIGIL_ROOT/scripts/failover"
"$failover" down >/dev/null 2>&1 || true  # what an interrupted run left
cd "$VIGIL_ROOT"
bin=$(vigil_build debug)
work=$(mktemp -d)
follower=
fo_cleanup() {
    if [ -n "$follower" ]; then kill -TERM "$follower" 2>/dev/null || true; wait "$follower" 2>/dev/null || true; fi
    "$failover" down >/dev/null 2>&1 || true
    rm -rf "$work"
}
trap fo_cleanup EXIT
started=$SECONDS
"$failover" up
vigil_say "faults: failover: the monitor and both nodes up in $((SECONDS - started)) s"
eval "$("$failover" url)"
export VIGIL_DATABASE_URL
# The set-up's passwords (the monitor's, the replicator's, vigil's) are in its password file and nowhere
# else under it: not in a node's configuration (pg_autoctl.cfg, primary_conninfo), not in a log, not in
# pg_stat_statements' texts of the ALTER ROLE that set them, though the standby clones and streams with one
# (the pair is synchronous: no command below is acknowledged without it). Searched after `up` and again
# after the old primary rejoins (which writes its primary_conninfo anew). The search reads the passwords
# from standard input, never from its command line, and fails on anything but "found" or "not found"
# (a file that went away during the search, a recycled WAL segment, apart).
fo_home=$(dirname "$PGPASSFILE")
passwords_only_in_pgpass() {
    local status=0
    [ "$(awk -F: 'NF == 5 && length($5) >= 32' "$PGPASSFILE" | wc -l)" = 3 ] \
        || vigil_die "faults: failover: the set-up's password file does not hold its three passwords; nothing to search for"
    # Every file but the password file itself (a copy of it elsewhere is a finding too).
    awk -F: 'NF == 5 && length($5) >= 32 { print $5 }' "$PGPASSFILE" \
        | grep -rlF -f /dev/stdin "$fo_home" 2>"$work/passwords-errors" | { grep -vFx "$PGPASSFILE" || true; } >"$work/passwords-found" \
        || status=$?
    if [ -s "$work/passwords-found" ]; then
        vigil_die "faults: failover: a password of the set-up is written outside its password file ($1): $(tr '\n' ' ' <"$work/passwords-found")"
    fi
    if [ "$status" != 1 ] && grep -qv "No such file or directory" "$work/passwords-errors"; then
        vigil_die "faults: failover: the search for the set-up's passwords failed ($1): $(head -n 3 "$work/passwords-errors" | tr '\n' ' ')"
    fi
    vigil_say "faults: failover: the set-up's passwords are in its password file alone ($1)"
}
passwords_only_in_pgpass "after up"
"$bin" db migrate --quiet
"$bin" mission register prc-embassy-washington --name "Embassy" --sending-state CN --kind embassy --city Washington \
    --country US --zone America/New_York --idempotency-key fo-mission >/dev/null

# An organiser added as on a coalition's server, with a URL naming both nodes, records over TLS with their
# own password (and nothing prints it but add-organiser).
added=$("$bin" admin add-organiser fo_organiser --role organiser \
    --host "127.0.0.1:$((VIGIL_FAILOVER_PORT + 1)),127.0.0.1:$((VIGIL_FAILOVER_PORT + 2))" --ca "$(printf '%s' "$VIGIL_DATABASE_URL" | sed -n 's/.*sslrootcert=\([^&]*\).*/\1/p')")
organiser_url=$(printf '%s\n' "$added" | awk '/^connect with/ { getline; print $1 }')
organiser_password=$(printf '%s\n' "$added" | awk '/^password/ { getline; print $1 }')
case "$organiser_url" in
    *target_session_attrs=read-write*sslmode=verify-full*) ;;
    *) vigil_die "faults: failover: add-organiser printed no URL naming both nodes: $organiser_url" ;;
esac
VIGIL_DATABASE_URL="$organiser_url" PGPASSWORD="$organiser_password" PGPASSFILE=/dev/null \
    "$bin" mission register prc-embassy-seoul --name "Embassy" --sending-state CN --kind embassy --city Seoul \
    --country KR --zone Asia/Seoul --idempotency-key fo-organiser >/dev/null 2>"$work/organiser.err" \
    || vigil_die "faults: failover: the organiser could not record through the pair's URL: $(head -n 1 "$work/organiser.err")"
vigil_say "faults: failover: an organiser's login recorded through the URL naming both nodes (TLS, SCRAM)"

# Reports read from the standby (VIGIL_REPORT_DATABASE_URL, prefer-standby) and say so.
report_source() {
    "$bin" report missions --format json 2>/dev/null \
        | python3 -c 'import json,sys; s=json.load(sys.stdin).get("standby"); print("none" if s is None else "standby" if s["isStandby"] else "primary")' \
        || echo "failed"
}
read_before=$(report_source)

writers=$([ "$short" = 1 ] && echo 3 || echo 4)
per=$([ "$short" = 1 ] && echo 40 || echo 250)
commands=$((writers * per))
now_ms() { date +%s%3N; }
schedule() {
    "$bin" gathering schedule "$1" --mission prc-embassy-washington --kind vigil --at "2024-12-22 12:00" \
        --idempotency-key "$1" >/dev/null
}

# The follower: it must carry on across the failover by itself.
( vigil_close_descriptors; exec "$bin" projections run ) >"$work/follower.log" 2>&1 &
follower=$!

writer() {
    local w=$1 i key deadline
    for i in $(seq 1 "$per"); do
        key="fo-$w-$i"
        deadline=$((SECONDS + 60))
        until schedule "$key" 2>>"$work/errors.$w"; do
            echo "$key $(now_ms)" >>"$work/refused.$w"
            if [ $SECONDS -ge $deadline ]; then echo "$key" >>"$work/gaveup.$w"; continue 2; fi
            sleep 0.2
        done
        echo "$key $(now_ms)" >>"$work/acked.$w"
    done
}
vigil_say "faults: failover: $writers writers x $per commands, the primary stopped while they run"
pids=()
for w in $(seq 1 "$writers"); do writer "$w" & pids+=($!); done

# Every line of the writers' files of one kind (acked, refused, gaveup), none when there are none.
lines_of() { local f; for f in "$work/$1".*; do if [ -f "$f" ]; then cat "$f"; fi; done; }
acked_so_far() { lines_of acked | wc -l; }
deadline=$((SECONDS + 120))
until [ "$(acked_so_far)" -ge $((commands / 4)) ] || [ $SECONDS -ge $deadline ]; do sleep 0.2; done
old=$("$failover" primary)
[ "$old" = node1 ] || vigil_say "faults: failover: the primary before the stop is $old"
stop_ms=$(now_ms)
acked_before=$(acked_so_far)
"$failover" stop "$old"
stopped_ms=$(now_ms)
vigil_say "faults: failover: $old stopped after $acked_before acknowledged commands"
for pid in "${pids[@]}"; do wait "$pid"; done
new=$("$failover" primary)

fail=0
[ "$read_before" = standby ] || { vigil_say "FAIL: before the stop, reports read from: $read_before (not the standby)"; fail=1; }
read_after=$(report_source)
[ "$read_after" = primary ] || { vigil_say "FAIL: with the old primary down, reports read from: $read_after (not the new primary)"; fail=1; }
vigil_say "faults: failover: reports read from the standby before the stop, and from $new alone after it"
acked=$(lines_of acked | wc -l)
refusals=$(lines_of refused | wc -l)
unacked=$(lines_of refused | cut -d' ' -f1 | sort -u | wc -l)
gaveup=$(lines_of gaveup | wc -l)
# The window: from the primary's stop to the first command acknowledged after it.
# (Minimums by awk, not `sort | head -n 1`: under pipefail, head leaving before a long sort has written
# everything ends the script with SIGPIPE, as a full run did once with 750 commands after the stop.)
resumed_ms=$(lines_of acked | awk -v t="$stopped_ms" '$2 > t && (m == "" || $2 < m) { m = $2 } END { if (m != "") print m }')
first_refused_ms=$(lines_of refused | awk 'm == "" || $2 < m { m = $2 } END { if (m != "") print m }')
last_refused_ms=$(lines_of refused | cut -d' ' -f2 | sort -n | tail -n 1)
secs() { awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'; }
if [ -z "$resumed_ms" ]; then
    vigil_say "FAIL: no command was acknowledged after $old stopped"; fail=1; resumed_ms=$stop_ms
fi
[ -n "$new" ] && [ "$new" != "$old" ] || { vigil_say "FAIL: the monitor holds ${new:-no node} as the primary after $old stopped"; fail=1; }
[ "$gaveup" = 0 ] || { vigil_say "FAIL: $gaveup commands still refused after 60 s of retries"; fail=1; }
refused_window=$([ -n "$first_refused_ms" ] && secs $((last_refused_ms - first_refused_ms)) || echo 0)
vigil_say "faults: failover: $new is the primary; the first command acknowledged after the stop came $(secs $((resumed_ms - stop_ms))) s after it; commands were refused for $refused_window s ($refusals refusals)"

# What the refused commands said: one line each, naming what failed and what to do, never the URL.
lines_of errors | sort | uniq -c | sort -rn | awk 'NR <= 3' | while read -r n text; do vigil_say "faults: failover: refused ($n x): $text"; done
# (grep reads everything, without -q: leaving at the first match would end lines_of with SIGPIPE, and
# under pipefail the if would then miss the match.)
if lines_of errors | grep -Ei "postgres(ql)?://|password=" >/dev/null; then
    vigil_say "FAIL: a refused command named the connection string or a password"; fail=1
fi

# Every command again with its key: each must be answered, none appended again.
before=$(psql -qAtX -d "$VIGIL_DATABASE_URL" -c "SELECT count(*) FROM vigil.events")
sweep() {
    local w=$1 i
    for i in $(seq 1 "$per"); do schedule "fo-$w-$i" 2>>"$work/sweep-errors" || echo "fo-$w-$i" >>"$work/sweep-failed"; done
}
pids=()
for w in $(seq 1 "$writers"); do sweep "$w" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done
if [ -s "$work/sweep-failed" ]; then
    vigil_say "FAIL: $(wc -l <"$work/sweep-failed") commands refused when retried with their keys: $(head -n 1 "$work/sweep-errors")"; fail=1
fi
after=$(psql -qAtX -d "$VIGIL_DATABASE_URL" -c "SELECT count(*) FROM vigil.events")
events=$(psql -qAtX -d "$VIGIL_DATABASE_URL" -c "SELECT count(*) FROM vigil.events WHERE stream_id LIKE 'gathering-fo-%'")
twice=$(psql -qAtX -d "$VIGIL_DATABASE_URL" -c "SELECT count(*) FROM (SELECT stream_id FROM vigil.events WHERE stream_id LIKE 'gathering-fo-%' GROUP BY stream_id HAVING count(*) <> 1) s")
lines_of acked | cut -d' ' -f1 | sort >"$work/acked-keys"
psql -qAtX -d "$VIGIL_DATABASE_URL" -c "SELECT substr(stream_id, 11) FROM vigil.events WHERE stream_id LIKE 'gathering-fo-%' GROUP BY stream_id HAVING count(*) = 1" \
    | sort >"$work/once-keys"
missing_acked=$(comm -23 "$work/acked-keys" "$work/once-keys" | wc -l)
[ "$events" = "$commands" ] || { vigil_say "FAIL: $events events for $commands commands"; fail=1; }
[ "$twice" = 0 ] || { vigil_say "FAIL: $twice gatherings recorded other than once"; fail=1; }
[ "$missing_acked" = 0 ] || { vigil_say "FAIL: $missing_acked acknowledged commands not in the log exactly once"; fail=1; }
[ "$before" = "$after" ] || { vigil_say "FAIL: retrying with the keys appended $((after - before)) events"; fail=1; }
vigil_say "faults: failover: $commands commands, $((acked - unacked)) acknowledged at the first try, $unacked refused at least once and acknowledged on a retry with their key; $events events, $twice twice, $missing_acked acknowledged missing, $((after - before)) appended by the retries"

# The projections carry on: the follower is still running and every projection is level with the log.
kill -0 "$follower" 2>/dev/null || { vigil_say "FAIL: projections run stopped during the failover: $(tail -n 3 "$work/follower.log")"; fail=1; }
behind=""
for _ in $(seq 1 30); do
    behind=$("$bin" projections status --format json | python3 -c 'import json,sys; print(sum(p["eventsBehind"] for p in json.load(sys.stdin)))' 2>/dev/null || echo "?")
    [ "$behind" = 0 ] && break
    sleep 1
done
[ "$behind" = 0 ] || { vigil_say "FAIL: the projections are $behind events behind the log after the failover"; fail=1; }
grep -q "retrying" "$work/follower.log" || vigil_say "faults: failover: (projections run did not see its connection lost)"
"$bin" audit verify >/dev/null || { vigil_say "FAIL: audit verify after the failover"; fail=1; }

# The monitor down: commands go on against the current primary; status names what failed, and no URL.
"$failover" stop monitor
for i in 1 2 3; do schedule "fo-monitor-$i" || { vigil_say "FAIL: a command with the monitor down"; fail=1; }; done
set +e
status_text=$("$failover" status 2>&1)
status_rc=$?
set -e
[ "$status_rc" = 2 ] && grep -q "monitor .* does not answer" <<<"$status_text" \
    || { vigil_say "FAIL: scripts/failover status with the monitor down said: $status_text"; fail=1; }
if grep -Eqi "postgres(ql)?://|password" <<<"$status_text"; then
    vigil_say "FAIL: scripts/failover status names a connection string or a password"; fail=1
fi
"$failover" start monitor
vigil_say "faults: failover: with the monitor down, 3 commands went on against $new and status said so"

if [ "$short" = 0 ]; then
    # The old primary comes back as the new one's standby (pg_autoctl rewinds it if need be).
    "$failover" start "$old"
    if VIGIL_FAILOVER_WAIT=180 "$failover" wait primary secondary; then
        vigil_say "faults: failover: $old rejoined as a standby of $new"
        passwords_only_in_pgpass "after $old rejoined"
    else
        vigil_say "FAIL: $old did not rejoin as a standby; the end of its keeper's log:"; fail=1
        tail -n 25 "$VIGIL_ROOT/.vigil-failover-faults/logs/$old.log" >&2 || true
    fi
    schedule "fo-after-rejoin" || { vigil_say "FAIL: a command after $old rejoined"; fail=1; }
fi
vigil_say "faults: failover test took $((SECONDS - started)) s"
[ "$fail" = 0 ] && { vigil_say "faults: all held"; exit 0; } || { vigil_say "faults: FAILED"; exit 1; }
