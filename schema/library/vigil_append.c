/*
 * vigil_append: the log's one writer, vigil.append, for its common case, in C.
 *
 * Why by hand: vigil.append in PL/pgSQL (migration 0029) spent ~110 µs of server CPU on one event, most
 * of it starting and ending the executor for its five statements (perf: ExecInitNode, plan validity
 * checks, projections), against ~13 µs for a plain INSERT of the same bytes. No library does this: the
 * only way under that cost is to do the same work with the server's own table and index routines, as
 * COPY does. Nothing here is new policy: every rule is the PL/pgSQL function's, and everything but the
 * common case is handed to that function itself (vigil.append_general, migration 0036), which raises the
 * refusals with their messages and codes. The common case is
 *   one event, no conditions, the expected version matching, and a login that no campaign grant limits;
 * for it this file takes the same locks in the same order, reads the stream's head with a snapshot taken
 * after the locks, looks for the command's first event by the id its command gives it (since 0037 the
 * command's record: a command handled already is refused with 0029's VG003 or VG004, before any position
 * is drawn; a command recorded before 0037 is found in vigil.commands), draws the position, hashes the
 * event over the same canonical text (vigil.event_canonical, version 2), and inserts it, through the
 * table's constraints, indexes and the owner's rights.
 *
 * It fails closed: it refuses to run when the tables have grown anything it would bypass or misread (an
 * INSERT trigger, rules, row-level security, a column or type it does not know, an index that is not the
 * unique btree it reads, a result type that is not vigil.appended as 0036 made it).
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/relation.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/executor.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/parsenodes.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/bufmgr.h"
#include "catalog/pg_am.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "utils/syscache.h"
#include "catalog/pg_proc.h"
#include "mb/pg_wchar.h"
#include "utils/xid8.h"

PG_MODULE_MAGIC;

PG_FUNCTION_INFO_V1(vigil_append);
PG_FUNCTION_INFO_V1(vigil_library_source);
PG_FUNCTION_INFO_V1(vigil_command_event_id);

#ifndef VIGIL_SOURCE_SHA256
#error "build with schema/library/Makefile: it passes the SHA-256 of this file as VIGIL_SOURCE_SHA256"
#endif

/*
 * vigil.library_source(): the SHA-256 (hex) of the vigil_append.c this library was built from, so that
 * audit verify finds a library built from other sources (a server upgraded from another checkout, a
 * stale build). It is what the build said, not a proof: whoever can replace the file (root) can also
 * make it say anything.
 */
Datum
vigil_library_source(PG_FUNCTION_ARGS)
{
    PG_RETURN_TEXT_P(cstring_to_text(VIGIL_SOURCE_SHA256));
}

#define EVENT_COLUMNS 16
#define COMMAND_COLUMNS 6

/* The columns of vigil.events and vigil.commands by name, resolved against the table each call. */
static const char *const event_column_names[EVENT_COLUMNS] = {
    "global_position", "stream_id", "stream_version", "event_id", "event_type", "schema_version", "data",
    "metadata", "command_id", "correlation_id", "causation_id", "actor", "recorded_at", "transaction_id",
    "hash", "hash_version"};
enum {
    E_POSITION, E_STREAM, E_VERSION, E_ID, E_TYPE, E_SCHEMA, E_DATA, E_METADATA, E_COMMAND, E_CORRELATION,
    E_CAUSATION, E_ACTOR, E_RECORDED, E_XID, E_HASH, E_HASH_VERSION
};
static const Oid event_column_types[EVENT_COLUMNS] = {
    INT8OID, TEXTOID, INT8OID, UUIDOID, TEXTOID, INT4OID, JSONBOID, JSONBOID, TEXTOID, UUIDOID, UUIDOID, TEXTOID,
    TIMESTAMPTZOID, XID8OID, BYTEAOID, INT2OID};
static const char *const command_column_names[COMMAND_COLUMNS] = {
    "command_id", "stream_id", "first_version", "last_version", "recorded_at", "fingerprint"};
static const Oid command_column_types[COMMAND_COLUMNS] = {TEXTOID, TEXTOID, INT8OID, INT8OID, TIMESTAMPTZOID, BYTEAOID};
enum { C_ID, C_STREAM, C_FIRST, C_LAST, C_RECORDED, C_FINGERPRINT };

/*
 * The relations this file touches, looked up by name once per backend and forgotten on any relcache
 * invalidation (a table or index dropped, made again or altered), so that a stale OID is never used.
 */
enum {
    R_EVENTS, R_COMMANDS, R_GRANTS, R_SEQUENCE, R_EVENTS_HEAD, R_EVENTS_ID, R_COMMANDS_KEY, R_GRANTS_KEY, R_COUNT
};
static const char *const relation_names[R_COUNT] = {
    "events", "commands", "campaign_grants", "events_global_position_seq", "events_stream_version_key",
    "events_event_id_key", "commands_pkey", "campaign_grants_pkey"};
static Oid relation_oids[R_COUNT];
static bool relation_callback_registered = false;

static void
forget_relations(Datum arg, Oid relid)
{
    memset(relation_oids, 0, sizeof(relation_oids));
}

static Oid
relation_oid(int which)
{
    if (!relation_callback_registered) {
        CacheRegisterRelcacheCallback(forget_relations, (Datum) 0);
        relation_callback_registered = true;
    }
    if (!OidIsValid(relation_oids[which])) {
        Oid relid = get_relname_relid(relation_names[which], get_namespace_oid("vigil", false));

        if (!OidIsValid(relid))
            elog(ERROR, "vigil.append: vigil.%s is missing", relation_names[which]);
        relation_oids[which] = relid;
    }
    return relation_oids[which];
}

/*
 * Each known column's attribute number in map[]; a column that is neither known nor dropped is an error:
 * it may carry a default or a constraint this file would not honour.
 */
static void
map_columns(Relation rel, const char *const *names, const Oid *types, int count, AttrNumber *map)
{
    TupleDesc desc = RelationGetDescr(rel);

    for (int i = 0; i < count; i++)
        map[i] = InvalidAttrNumber;
    for (int a = 0; a < desc->natts; a++) {
        Form_pg_attribute att = TupleDescAttr(desc, a);
        int i;

        if (att->attisdropped)
            continue;
        for (i = 0; i < count; i++)
            if (strcmp(NameStr(att->attname), names[i]) == 0)
                break;
        if (i == count)
            elog(ERROR, "vigil.append: %s has a column this append does not know (%s); it will not bypass it",
                 RelationGetRelationName(rel), NameStr(att->attname));
        /* The type itself, not a domain over it (a domain's checks would be skipped), nor another type. */
        if (att->atttypid != types[i] || att->atttypmod != -1)
            elog(ERROR, "vigil.append: %s.%s is not of the type this append writes; it will not write it",
                 RelationGetRelationName(rel), NameStr(att->attname));
        map[i] = att->attnum;
    }
    for (int i = 0; i < count; i++)
        if (map[i] == InvalidAttrNumber)
            elog(ERROR, "vigil.append: %s has no column %s", RelationGetRelationName(rel), names[i]);
}

/* Fail closed: nothing the executor would run on an INSERT may be skipped. */
static void
refuse_bypass(Relation rel)
{
    TriggerDesc *t = rel->trigdesc;

    if (t && (t->trig_insert_before_row || t->trig_insert_after_row || t->trig_insert_instead_row ||
              t->trig_insert_before_statement || t->trig_insert_after_statement || t->trig_insert_new_table))
        elog(ERROR, "vigil.append: %s has an INSERT trigger; this append will not bypass it",
             RelationGetRelationName(rel));
    if (rel->rd_rel->relrowsecurity)
        elog(ERROR, "vigil.append: %s has row-level security; this append will not bypass it",
             RelationGetRelationName(rel));
    if (rel->rd_rel->relkind != RELKIND_RELATION || rel->rd_rules != NULL)
        elog(ERROR, "vigil.append: %s is not a plain table, or has rules; this append will not write around them",
             RelationGetRelationName(rel));
}

/*
 * An index the append reads: a plain unique btree whose first key columns are `columns` (in order), with
 * no expression and no predicate. Anything else could answer a probe wrongly.
 */
static void
check_index(Relation index, const AttrNumber *columns, int count)
{
    Form_pg_index form = index->rd_index;
    bool sound = index->rd_rel->relam == BTREE_AM_OID && form->indisunique && form->indisvalid &&
                 form->indnkeyatts >= count && RelationGetIndexExpressions(index) == NIL &&
                 RelationGetIndexPredicate(index) == NIL;

    for (int i = 0; sound && i < count; i++)
        sound = form->indkey.values[i] == columns[i];
    if (!sound)
        elog(ERROR, "vigil.append: the index %s is not the unique btree this append reads; it will not use it",
             RelationGetRelationName(index));
}

/*
 * A table the append writes, opened with its indexes as the executor opens a table it inserts into,
 * and a virtual slot for the row.
 */
typedef struct Target {
    Relation rel;
    ResultRelInfo *info;
    TupleTableSlot *slot;
    bool checks_hold; /* its CHECK constraints hold by construction (see checks_by_construction) */
} Target;

/*
 * vigil.events' one CHECK constraint (0002: stream_version >= 1) exactly as the server stores it. A head's
 * version + 1 always meets it, so when it is the table's only CHECK, to the byte, evaluating it (parsing
 * it anew on every call, ~2 µs) is skipped. Anything else (another constraint, this one changed, another
 * server version printing it otherwise) is evaluated by the executor's own routine.
 */
static const char *const stream_version_check =
    "{OPEXPR :opno 430 :opfuncid 479 :opresulttype 16 :opretset false :opcollid 0 :inputcollid 0 :args "
    "({VAR :varno 1 :varattno 3 :vartype 20 :vartypmod -1 :varcollid 0 :varlevelsup 0 :varnosyn 1 "
    ":varattnosyn 3 :location 341} {CONST :consttype 23 :consttypmod -1 :constcollid 0 :constlen 4 "
    ":constbyval true :constisnull false :location 359 :constvalue 4 [ 1 0 0 0 0 0 0 0 ]}) :location 356}";

static bool
checks_by_construction(Relation rel)
{
    TupleConstr *constr = RelationGetDescr(rel)->constr;

    if (constr == NULL || (constr->num_check == 0 && !constr->has_generated_stored))
        return true;
    return constr->num_check == 1 && !constr->has_generated_stored && constr->check[0].ccvalid &&
           RelationGetRelid(rel) == relation_oid(R_EVENTS) && RelationGetDescr(rel)->natts >= 3 &&
           strcmp(NameStr(TupleDescAttr(RelationGetDescr(rel), 2)->attname), "stream_version") == 0 &&
           strcmp(constr->check[0].ccbin, stream_version_check) == 0;
}

static void
open_target(EState *estate, Index rti, Oid relid, Target *target)
{
    target->rel = table_open(relid, RowExclusiveLock);
    refuse_bypass(target->rel);
    target->info = makeNode(ResultRelInfo);
    InitResultRelInfo(target->info, target->rel, rti, NULL, 0);
    ExecOpenIndices(target->info, false);
    target->slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(target->rel), &TTSOpsVirtual);
    target->checks_hold = checks_by_construction(target->rel);
}

static void
close_target(Target *target)
{
    ExecCloseIndices(target->info);
    table_close(target->rel, NoLock);
}

/* The target's open index with this OID. */
static Relation
target_index(Target *target, Oid indexid)
{
    for (int i = 0; i < target->info->ri_NumIndices; i++)
        if (RelationGetRelid(target->info->ri_IndexRelationDescs[i]) == indexid)
            return target->info->ri_IndexRelationDescs[i];
    elog(ERROR, "vigil.append: %s has lost its index with OID %u", RelationGetRelationName(target->rel), indexid);
    return NULL;
}

/* The first (or, backwards, last) row of `rel` whose index leads with `key` (text), into `slot`. */
static bool
index_probe_with(Relation rel, Relation index, Datum key, RegProcedure equal, ScanDirection direction,
                 Snapshot snapshot, TupleTableSlot *slot);

static bool
index_probe(Relation rel, Relation index, Datum key, ScanDirection direction, Snapshot snapshot,
            TupleTableSlot *slot)
{
    return index_probe_with(rel, index, key, F_TEXTEQ, direction, snapshot, slot);
}

/* The same with the key's own equality procedure (F_UUID_EQ for a uuid). */
static bool
index_probe_with(Relation rel, Relation index, Datum key, RegProcedure equal, ScanDirection direction,
                 Snapshot snapshot, TupleTableSlot *slot)
{
    ScanKeyData scankey;
    IndexScanDesc scan;
    bool found;

    ScanKeyEntryInitialize(&scankey, 0, 1, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0],
                           equal, key);
    scan = index_beginscan(rel, index, snapshot, 1, 0);
    index_rescan(scan, &scankey, 1, NULL, 0);
    found = index_getnext_slot(scan, direction, slot);
    index_endscan(scan);
    return found;
}

/*
 * Inserts the slot's row into the table and its indexes, as COPY does. A unique violation is the index's
 * error, unless `duplicate` is given: then a key already there is reported through it instead (the row
 * is in, and the caller raises an error, which takes it out with the transaction).
 */
static void
insert_row(EState *estate, Target *target, Datum *values, bool *nulls, bool *duplicate)
{
    TupleDesc desc = RelationGetDescr(target->rel);
    TupleTableSlot *slot = target->slot;

    ExecClearTuple(slot);
    memcpy(slot->tts_values, values, sizeof(Datum) * desc->natts);
    memcpy(slot->tts_isnull, nulls, sizeof(bool) * desc->natts);
    ExecStoreVirtualTuple(slot);
    /* NOT NULL and CHECK constraints (a domain column is refused earlier). */
    if (target->checks_hold)
        for (int a = 0; a < desc->natts; a++) {
            if (TupleDescAttr(desc, a)->attnotnull && nulls[a])
                ExecConstraints(target->info, slot, estate); /* raises the executor's own error */
        }
    else if (desc->constr)
        ExecConstraints(target->info, slot, estate);
    table_tuple_insert(target->rel, slot, GetCurrentCommandId(true), 0, NULL);
    if (duplicate == NULL)
        ExecInsertIndexTuples(target->info, slot, estate, false, false, NULL, NIL);
    else {
        *duplicate = false;
        (void) ExecInsertIndexTuples(target->info, slot, estate, false, true, duplicate, NIL);
    }
}

static void
append_text(StringInfo out, text *value)
{
    if (value == NULL)
        appendStringInfoString(out, "null");
    else
        escape_json(out, text_to_cstring(value));
}

static void
append_uuid(StringInfo out, Datum value, bool isnull)
{
    if (isnull)
        appendStringInfoString(out, "null");
    else {
        appendStringInfoChar(out, '"');
        appendStringInfoString(out, DatumGetCString(DirectFunctionCall1(uuid_out, value)));
        appendStringInfoChar(out, '"');
    }
}

/*
 * vigil.event_canonical(2, …): the text of
 *   jsonb_build_array(global_position, stream_id, stream_version, event_id, event_type, schema_version,
 *                     data, metadata, command_id, correlation_id, causation_id, actor,
 *                     (extract('epoch', recorded_at) * 1000000)::int8)
 * as jsonb prints it: elements joined by ", ", strings JSON-escaped, uuids their text, jsonb values as
 * jsonb prints them, the time in integer microseconds since 1970. audit verify recomputes every hash
 * with the SQL function over the stored row, so a difference here would show on the first verify.
 */
static void
canonical_text(StringInfo out, int64 position, text *stream, int64 version, Datum id, text *type,
               int32 schema, Jsonb *data, Jsonb *metadata, text *command, Datum correlation,
               bool correlation_null, Datum causation, bool causation_null, text *actor, TimestampTz at)
{
    int64 micros = at + (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY;

    appendStringInfo(out, "[" INT64_FORMAT ", ", position);
    append_text(out, stream);
    appendStringInfo(out, ", " INT64_FORMAT ", ", version);
    append_uuid(out, id, false);
    appendStringInfoString(out, ", ");
    append_text(out, type);
    appendStringInfo(out, ", %d, ", schema);
    JsonbToCString(out, &data->root, VARSIZE(data));
    appendStringInfoString(out, ", ");
    JsonbToCString(out, &metadata->root, VARSIZE(metadata));
    appendStringInfoString(out, ", ");
    append_text(out, command);
    appendStringInfoString(out, ", ");
    append_uuid(out, correlation, correlation_null);
    appendStringInfoString(out, ", ");
    append_uuid(out, causation, causation_null);
    appendStringInfoString(out, ", ");
    append_text(out, actor);
    appendStringInfo(out, ", " INT64_FORMAT "]", micros);
}

/* sha256(previous || canonical) */
static bytea *
event_hash(bytea *previous, StringInfo canonical)
{
    pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
    bytea *result = palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

    if (pg_cryptohash_init(ctx) < 0 ||
        pg_cryptohash_update(ctx, (uint8 *) VARDATA_ANY(previous), VARSIZE_ANY_EXHDR(previous)) < 0 ||
        pg_cryptohash_update(ctx, (uint8 *) canonical->data, canonical->len) < 0 ||
        pg_cryptohash_final(ctx, (uint8 *) VARDATA(result), PG_SHA256_DIGEST_LENGTH) < 0)
        elog(ERROR, "vigil.append: could not compute SHA-256: %s", pg_cryptohash_error(ctx));
    pg_cryptohash_free(ctx);
    SET_VARSIZE(result, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
    return result;
}

/*
 * The id of the event at place `index` (from 0) of command `command` (0037): the first 16 bytes of
 * SHA-256('vigil command event' LF command as UTF-8 LF index in decimal), marked as a version-8 UUID
 * (RFC 9562). The same as CommandEventId in Swift. The common case and, as vigil.command_event_id, the
 * PL/pgSQL rest and audit verify all use this one: written in SQL, it cost ~50 µs a call where PL/pgSQL
 * set up its body anew in every transaction (each retry of a stale version on a hot stream).
 */
static Datum
command_event_id(text *command, int index)
{
    static const char prefix[] = "vigil command event\n";
    char suffix[16];
    uint8 digest[PG_SHA256_DIGEST_LENGTH];
    pg_uuid_t *id = palloc(sizeof(pg_uuid_t));
    pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
    int n = snprintf(suffix, sizeof(suffix), "\n%d", index);
    const char *bytes = VARDATA_ANY(command);
    int length = VARSIZE_ANY_EXHDR(command);

    /* Text cannot hold a NUL byte, so a converted copy's length is strlen's. */
    if (GetDatabaseEncoding() != PG_UTF8) {
        char *utf8 = pg_server_to_any(bytes, length, PG_UTF8);

        if (utf8 != bytes)
            length = strlen(utf8);
        bytes = utf8;
    }
    if (pg_cryptohash_init(ctx) < 0 || pg_cryptohash_update(ctx, (const uint8 *) prefix, sizeof(prefix) - 1) < 0 ||
        pg_cryptohash_update(ctx, (const uint8 *) bytes, length) < 0 ||
        pg_cryptohash_update(ctx, (uint8 *) suffix, n) < 0 ||
        pg_cryptohash_final(ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
        elog(ERROR, "vigil.append: could not compute SHA-256: %s", pg_cryptohash_error(ctx));
    pg_cryptohash_free(ctx);
    memcpy(id->data, digest, UUID_LEN);
    id->data[6] = (id->data[6] & 0x0f) | 0x80;
    id->data[8] = (id->data[8] & 0x3f) | 0x80;
    return UUIDPGetDatum(id);
}

/* vigil.command_event_id(text, integer) RETURNS uuid (0037). */
Datum
vigil_command_event_id(PG_FUNCTION_ARGS)
{
    PG_RETURN_DATUM(command_event_id(PG_GETARG_TEXT_PP(0), PG_GETARG_INT32(1)));
}

/*
 * Whether this database has migration 0037 (a command's record is its first event): a library newer than
 * the database's migrations leaves every append to the PL/pgSQL function the database has, which still
 * writes vigil.commands. Known once a backend: the function is never dropped by a migration.
 */
static bool
commands_in_events(void)
{
    static bool known = false;

    if (!known) {
        Oid args[2] = {TEXTOID, INT4OID};
        Oid vigil = get_namespace_oid("vigil", true);

        known = OidIsValid(vigil) &&
                OidIsValid(GetSysCacheOid3(PROCNAMEARGSNSP, Anum_pg_proc_oid, CStringGetDatum("command_event_id"),
                                           PointerGetDatum(buildoidvector(args, 2)), ObjectIdGetDatum(vigil)));
    }
    return known;
}

/* A string member of a JSON object, or NULL when it is absent or not a string. */
static text *
string_member(JsonbContainer *object, const char *key)
{
    JsonbValue value;

    if (!getKeyJsonValueFromContainer(object, key, strlen(key), &value) || value.type != jbvString)
        return NULL;
    return cstring_to_text_with_len(value.val.string.val, value.val.string.len);
}

/*
 * Everything but the common case: the PL/pgSQL function, called with the same arguments as the owner
 * (this function's SECURITY DEFINER rights), its rows returned as ours. Locks this call already holds
 * are taken again there, in the same order, which PostgreSQL allows.
 */
static SPIPlanPtr general_plan = NULL;

static void
append_general(FunctionCallInfo fcinfo)
{
    ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
    Oid types[10] = {TEXTOID, INT8OID, JSONBOID, JSONBOID, TEXTOID, TEXTOID, UUIDOID, UUIDOID, BYTEAOID,
                     JSONBOID};
    Datum values[10];
    char nulls[10];
    int ret;

    for (int i = 0; i < 10; i++) {
        values[i] = PG_ARGISNULL(i) ? (Datum) 0 : PG_GETARG_DATUM(i);
        nulls[i] = PG_ARGISNULL(i) ? 'n' : ' ';
    }
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "vigil.append: SPI_connect failed");
    /*
     * Planned once a backend and kept (the server plans it again if what it depends on changes): stale
     * versions under contention come here on every retry.
     */
    if (general_plan == NULL) {
        SPIPlanPtr plan = SPI_prepare(
            "SELECT global_position, stream_version, transaction_id FROM vigil.append_general($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            10, types);

        if (plan == NULL || SPI_keepplan(plan) != 0)
            elog(ERROR, "vigil.append: could not plan the call of vigil.append_general (%d)", SPI_result);
        general_plan = plan;
    }
    ret = SPI_execute_plan(general_plan, values, nulls, false, 0);
    if (ret != SPI_OK_SELECT)
        elog(ERROR, "vigil.append: vigil.append_general returned %d", ret);
    for (uint64 r = 0; r < SPI_processed; r++) {
        Datum row[3];
        bool isnull[3];

        for (int c = 0; c < 3; c++)
            row[c] = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, c + 1, &isnull[c]);
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, row, isnull);
    }
    SPI_finish();
}

/* The common case's arguments, read; false when the call is not the common case. */
typedef struct Call {
    text *stream, *command, *actor, *type;
    Jsonb *metadata, *data;
    Datum id;
    int32 schema;
    bool expected_null;
    int64 expected;
} Call;

static bool
common_case(FunctionCallInfo fcinfo, Call *call)
{
    Jsonb *events, *conditions;
    JsonbValue *first, member;
    JsonbContainer *event;
    text *id_text;

    /* A standby or a read-only transaction: PL/pgSQL refuses it with the read-only error callers know. */
    if (PG_ARGISNULL(0) || PG_ARGISNULL(2) || PG_ARGISNULL(3) || PG_ARGISNULL(4) || PG_ARGISNULL(5) ||
        XactIsoLevel != XACT_READ_COMMITTED || XactReadOnly || RecoveryInProgress())
        return false;
    if (!PG_ARGISNULL(9)) {
        conditions = PG_GETARG_JSONB_P(9);
        if (!JB_ROOT_IS_ARRAY(conditions) || JB_ROOT_IS_SCALAR(conditions) || JB_ROOT_COUNT(conditions) > 0)
            return false;
    }
    events = PG_GETARG_JSONB_P(2);
    call->metadata = PG_GETARG_JSONB_P(3);
    if (!JB_ROOT_IS_ARRAY(events) || JB_ROOT_IS_SCALAR(events) || JB_ROOT_COUNT(events) != 1 ||
        !JB_ROOT_IS_OBJECT(call->metadata) || JB_ROOT_IS_SCALAR(call->metadata))
        return false;
    first = getIthJsonbValueFromContainer(&events->root, 0);
    if (first == NULL || first->type != jbvBinary || !JsonContainerIsObject(first->val.binary.data))
        return false;
    event = first->val.binary.data;
    id_text = string_member(event, "id");
    call->type = string_member(event, "type");
    if (id_text == NULL || call->type == NULL || !getKeyJsonValueFromContainer(event, "data", 4, &member))
        return false;
    call->data = JsonbValueToJsonb(&member);
    call->id = DirectFunctionCall1(uuid_in, CStringGetDatum(text_to_cstring(id_text)));
    call->schema = 1;
    if (getKeyJsonValueFromContainer(event, "schemaVersion", 13, &member) && member.type != jbvNull) {
        if (member.type != jbvNumeric)
            return false;
        /* As ->> then ::integer: the number's text, read as an integer (1.5 is an error there too). */
        call->schema = DatumGetInt32(DirectFunctionCall1(
            int4in, DirectFunctionCall1(numeric_out, NumericGetDatum(member.val.numeric))));
    }
    call->stream = PG_GETARG_TEXT_PP(0);
    call->expected_null = PG_ARGISNULL(1);
    call->expected = call->expected_null ? 0 : PG_GETARG_INT64(1);
    call->command = PG_GETARG_TEXT_PP(4);
    call->actor = PG_GETARG_TEXT_PP(5);
    /* An id its command does not give the event: PL/pgSQL refuses it and says which id it must have. */
    if (!commands_in_events() ||
        !DatumGetBool(DirectFunctionCall2(uuid_eq, call->id, command_event_id(call->command, 0))))
        return false;
    return true;
}

/*
 * A command id already recorded: 0029's refusals, with its codes and messages. The same command (the
 * same fingerprint, or none on both) was already handled (VG003: the caller answers with its first
 * outcome); another command under the same id is refused (VG004). `was` is the fingerprint recorded with
 * it, NULL when it had none.
 */
static void
refuse_handled(Call *call, bytea *was, bytea *fingerprint)
{
    bool same;

    if (was == NULL || fingerprint == NULL)
        same = was == NULL && fingerprint == NULL;
    else
        same = VARSIZE_ANY_EXHDR(was) == VARSIZE_ANY_EXHDR(fingerprint) &&
               memcmp(VARDATA_ANY(was), VARDATA_ANY(fingerprint), VARSIZE_ANY_EXHDR(was)) == 0;
    if (!same)
        ereport(ERROR, (errcode(MAKE_SQLSTATE('V', 'G', '0', '0', '4')),
                        errmsg("command id %s was used before for a different command", text_to_cstring(call->command))));
    ereport(ERROR, (errcode(MAKE_SQLSTATE('V', 'G', '0', '0', '3')),
                    errmsg("command %s was already handled", text_to_cstring(call->command))));
}

/*
 * A command recorded before 0037 in vigil.commands, read only; refused as handled if there. A table that
 * never held a row (a log begun at 0037 or later) has no pages, and nothing to read.
 */
static void
refuse_recorded_before(Call *call, Snapshot snapshot, bytea *fingerprint, List **tuple_table)
{
    Relation commands = table_open(relation_oid(R_COMMANDS), AccessShareLock);

    if (RelationGetNumberOfBlocks(commands) > 0) {
        AttrNumber ccol[COMMAND_COLUMNS];
        Relation key = index_open(relation_oid(R_COMMANDS_KEY), AccessShareLock);
        TupleTableSlot *slot = table_slot_create(commands, tuple_table);

        refuse_bypass(commands);
        if (pg_class_aclcheck(RelationGetRelid(commands), GetUserId(), ACL_SELECT) != ACLCHECK_OK)
            aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(commands));
        map_columns(commands, command_column_names, command_column_types, COMMAND_COLUMNS, ccol);
        check_index(key, &ccol[C_ID], 1);
        if (index_probe(commands, key, PointerGetDatum(call->command), ForwardScanDirection, snapshot, slot)) {
            bool isnull;
            Datum was = slot_getattr(slot, ccol[C_FINGERPRINT], &isnull);

            refuse_handled(call, isnull ? NULL : DatumGetByteaPP(was), fingerprint);
        }
        index_close(key, AccessShareLock);
    }
    table_close(commands, NoLock);
}

static void
append_common(FunctionCallInfo fcinfo, Call *call)
{
    ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
    Jsonb *metadata;
    EState *estate;
    RangeTblEntry *rte;
    Target events;
    AttrNumber ecol[EVENT_COLUMNS];
    TupleTableSlot *slot;
    Snapshot snapshot;
    int64 current = 0, position;
    bytea *previous, *hash;
    bool limited, ahead;
    char *login;
    StringInfoData buf;
    TimestampTz now;
    FullTransactionId xid;
    bytea *fingerprint = PG_ARGISNULL(8) ? NULL : PG_GETARG_BYTEA_PP(8);
    Datum *evalues, result[3];
    bool *enulls, rnulls[3] = {false, false, false};
    int natts;

    /* 1. Locks: the stream's, then the command's (0029's keys and order). */
    DirectFunctionCall1(pg_advisory_xact_lock_int8,
                        DirectFunctionCall2Coll(hashtextextended, DEFAULT_COLLATION_OID, PointerGetDatum(call->stream),
                                                Int64GetDatum(0)));
    DirectFunctionCall1(pg_advisory_xact_lock_int8,
                        DirectFunctionCall2Coll(hashtextextended, DEFAULT_COLLATION_OID, PointerGetDatum(call->command),
                                                Int64GetDatum(1)));

    /* 1'. The transaction's id, after the locks and before any position is drawn (see 0024). */
    xid = GetTopFullTransactionId();

    /* 2. The table, then the head and the command's first event as of now: a snapshot taken after the locks. */
    estate = CreateExecutorState();
    rte = makeNode(RangeTblEntry);
    rte->rtekind = RTE_RELATION;
    rte->relid = relation_oid(R_EVENTS);
    rte->relkind = RELKIND_RELATION;
    rte->rellockmode = RowExclusiveLock;
    rte->requiredPerms = ACL_INSERT | ACL_SELECT;
    ExecInitRangeTable(estate, list_make1(rte));
    open_target(estate, 1, relation_oid(R_EVENTS), &events);
    /* The rights 0029's statements needed, as its owner: the owner's INSERT revoked still stops the log. */
    ExecCheckRTPerms(estate->es_range_table, true);
    map_columns(events.rel, event_column_names, event_column_types, EVENT_COLUMNS, ecol);
    {
        AttrNumber head[2] = {ecol[E_STREAM], ecol[E_VERSION]};

        check_index(target_index(&events, relation_oid(R_EVENTS_HEAD)), head, 2);
        check_index(target_index(&events, relation_oid(R_EVENTS_ID)), &ecol[E_ID], 1);
    }

    CommandCounterIncrement();
    PushActiveSnapshot(GetTransactionSnapshot());
    snapshot = GetActiveSnapshot();

    slot = table_slot_create(events.rel, &estate->es_tupleTable);
    previous = (bytea *) palloc(VARHDRSZ);
    SET_VARSIZE(previous, VARHDRSZ);
    ahead = false;
    if (!call->expected_null) {
        /*
         * With an expected version the head is read forwards from it: the event at that version (its hash
         * chains the new one) and nothing after it. A backwards read of a stream's last events reads every
         * event of the stream on the index page it lands on, which a long stream fills.
         */
        ScanKeyData keys[2];
        Relation index = target_index(&events, relation_oid(R_EVENTS_HEAD));
        IndexScanDesc scan;

        ScanKeyEntryInitialize(&keys[0], 0, 1, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0],
                               F_TEXTEQ, PointerGetDatum(call->stream));
        ScanKeyEntryInitialize(&keys[1], 0, 2, BTGreaterEqualStrategyNumber, InvalidOid, InvalidOid, F_INT8GE,
                               Int64GetDatum(Max(call->expected, 1)));
        scan = index_beginscan(events.rel, index, snapshot, 2, 0);
        index_rescan(scan, keys, 2, NULL, 0);
        if (index_getnext_slot(scan, ForwardScanDirection, slot)) {
            bool isnull;

            current = DatumGetInt64(slot_getattr(slot, ecol[E_VERSION], &isnull));
            if (current == call->expected)
                previous = DatumGetByteaPCopy(slot_getattr(slot, ecol[E_HASH], &isnull));
            /* Another event after the expected one, or a stream begun where none was expected. */
            ahead = current != call->expected || index_getnext_slot(scan, ForwardScanDirection, slot);
        }
        index_endscan(scan);
    } else if (index_probe(events.rel, target_index(&events, relation_oid(R_EVENTS_HEAD)),
                           PointerGetDatum(call->stream), BackwardScanDirection, snapshot, slot)) {
        bool isnull;

        current = DatumGetInt64(slot_getattr(slot, ecol[E_VERSION], &isnull));
        previous = DatumGetByteaPCopy(slot_getattr(slot, ecol[E_HASH], &isnull));
    }

    login = GetUserNameFromId(GetSessionUserId(), false);
    limited = false;
    {
        Relation grants;

        grants = table_open(relation_oid(R_GRANTS), AccessShareLock);
        refuse_bypass(grants);
        if (pg_class_aclcheck(RelationGetRelid(grants), GetUserId(), ACL_SELECT) != ACLCHECK_OK)
            aclcheck_error(ACLCHECK_NO_PRIV, OBJECT_TABLE, RelationGetRelationName(grants));

        /* A table that never held a row has no pages: then no login is limited and there is nothing to read. */
        if (RelationGetNumberOfBlocks(grants) > 0) {
            Relation key = index_open(relation_oid(R_GRANTS_KEY), AccessShareLock);
            AttrNumber login_column = get_attnum(RelationGetRelid(grants), "login");

            if (get_atttype(RelationGetRelid(grants), login_column) != TEXTOID)
                elog(ERROR, "vigil.append: campaign_grants.login is not text; this append will not read it");
            check_index(key, &login_column, 1);

            slot = table_slot_create(grants, &estate->es_tupleTable);
            limited = index_probe(grants, key, CStringGetTextDatum(login), ForwardScanDirection, snapshot, slot);
            index_close(key, AccessShareLock);
        }
        table_close(grants, NoLock);
    }

    /* 3. A refusal, or a login limited to some campaigns: PL/pgSQL decides and says why. */
    /* (A head at the largest bigint has no next version: PL/pgSQL says "bigint out of range".) */
    if (ahead || (!call->expected_null && call->expected != current) || limited || current == PG_INT64_MAX) {
        ExecResetTupleTable(estate->es_tupleTable, false);
        close_target(&events);
        FreeExecutorState(estate);
        PopActiveSnapshot();
        append_general(fcinfo);
        return;
    }

    /*
     * 4. The command handled already? Its first event carries the id its command gives it (0037), which
     * common_case checked this call's event has: found, the command is refused (VG003 or VG004) before
     * any position is drawn, so a refusal leaves no gap. Under the command's lock no other session can be
     * appending it meanwhile; the unique index on event ids would refuse it anyway.
     */
    if (index_probe_with(events.rel, target_index(&events, relation_oid(R_EVENTS_ID)), call->id, F_UUID_EQ,
                         ForwardScanDirection, snapshot, slot)) {
        bool isnull;
        Datum owner = slot_getattr(slot, ecol[E_COMMAND], &isnull);
        Jsonb *recorded;
        text *hex = NULL;

        /* The id taken before 0037 (callers chose ids then) by an event of another command. */
        if (isnull || !DatumGetBool(DirectFunctionCall2Coll(texteq, DEFAULT_COLLATION_OID, owner,
                                                            PointerGetDatum(call->command))))
            ereport(ERROR, (errcode(MAKE_SQLSTATE('V', 'G', '0', '0', '4')),
                            errmsg("command id %s cannot be used: the id of its first event was taken before 0037 by "
                                   "an event of command %s; use another key",
                                   text_to_cstring(call->command), isnull ? "(none)" : TextDatumGetCString(owner))));
        recorded = DatumGetJsonbP(slot_getattr(slot, ecol[E_METADATA], &isnull));
        if (!isnull && JB_ROOT_IS_OBJECT(recorded) && !JB_ROOT_IS_SCALAR(recorded))
            hex = string_member(&recorded->root, "commandFingerprint");

        refuse_handled(call,
                       hex == NULL ? NULL
                                   : DatumGetByteaPP(DirectFunctionCall2(binary_decode, PointerGetDatum(hex),
                                                                         CStringGetTextDatum("hex"))),
                       fingerprint);
    }
    refuse_recorded_before(call, snapshot, fingerprint, &estate->es_tupleTable);

    /* 5. The event: metadata with the login, the clock's time, its position, its hash. */
    {
        /*
         * (metadata - 'commandFingerprint' - 'commandEvents') || {"login": session_user[, "commandFingerprint": hex]},
         * as 0037's PL/pgSQL for a command of one event: the caller's own keys of these names are replaced
         * or dropped.
         */
        JsonbParseState *state = NULL;
        JsonbValue key = {.type = jbvString, .val.string = {.len = 5, .val = "login"}};
        JsonbValue value = {.type = jbvString, .val.string = {.len = strlen(login), .val = login}};
        Datum without = JsonbPGetDatum(call->metadata);
        JsonbValue present;

        /* Each deletion rebuilds the object: only when the key is there (common_case saw an object). */
        if (getKeyJsonValueFromContainer(&call->metadata->root, "commandFingerprint", 18, &present))
            without = DirectFunctionCall2(jsonb_delete, without, CStringGetTextDatum("commandFingerprint"));
        if (getKeyJsonValueFromContainer(&call->metadata->root, "commandEvents", 13, &present))
            without = DirectFunctionCall2(jsonb_delete, without, CStringGetTextDatum("commandEvents"));

        pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
        pushJsonbValue(&state, WJB_KEY, &key);
        pushJsonbValue(&state, WJB_VALUE, &value);
        if (fingerprint != NULL) {
            char *hex = text_to_cstring(DatumGetTextPP(
                DirectFunctionCall2(binary_encode, PointerGetDatum(fingerprint), CStringGetTextDatum("hex"))));
            JsonbValue fkey = {.type = jbvString, .val.string = {.len = 18, .val = "commandFingerprint"}};
            JsonbValue fvalue = {.type = jbvString, .val.string = {.len = strlen(hex), .val = hex}};

            pushJsonbValue(&state, WJB_KEY, &fkey);
            pushJsonbValue(&state, WJB_VALUE, &fvalue);
        }
        metadata = DatumGetJsonbP(DirectFunctionCall2(
            jsonb_concat, without, JsonbPGetDatum(JsonbValueToJsonb(pushJsonbValue(&state, WJB_END_OBJECT, NULL)))));
    }
    initStringInfo(&buf);
    now = GetCurrentTimestamp();
    position = nextval_internal(relation_oid(R_SEQUENCE), true);

    canonical_text(&buf, position, call->stream, current + 1, call->id, call->type, call->schema, call->data, metadata,
                   call->command, PG_ARGISNULL(6) ? (Datum) 0 : PG_GETARG_DATUM(6), PG_ARGISNULL(6),
                   PG_ARGISNULL(7) ? (Datum) 0 : PG_GETARG_DATUM(7), PG_ARGISNULL(7), call->actor, now);
    hash = event_hash(previous, &buf);

    natts = RelationGetDescr(events.rel)->natts;
    evalues = palloc0(sizeof(Datum) * natts);
    enulls = palloc(sizeof(bool) * natts);
    memset(enulls, true, sizeof(bool) * natts);
#define SET_EVENT(column, value) (evalues[ecol[column] - 1] = (value), enulls[ecol[column] - 1] = false)
    SET_EVENT(E_POSITION, Int64GetDatum(position));
    SET_EVENT(E_STREAM, PointerGetDatum(call->stream));
    SET_EVENT(E_VERSION, Int64GetDatum(current + 1));
    SET_EVENT(E_ID, call->id);
    SET_EVENT(E_TYPE, PointerGetDatum(call->type));
    SET_EVENT(E_SCHEMA, Int32GetDatum(call->schema));
    SET_EVENT(E_DATA, JsonbPGetDatum(call->data));
    SET_EVENT(E_METADATA, JsonbPGetDatum(metadata));
    SET_EVENT(E_COMMAND, PointerGetDatum(call->command));
    if (!PG_ARGISNULL(6))
        SET_EVENT(E_CORRELATION, PG_GETARG_DATUM(6));
    if (!PG_ARGISNULL(7))
        SET_EVENT(E_CAUSATION, PG_GETARG_DATUM(7));
    SET_EVENT(E_ACTOR, PointerGetDatum(call->actor));
    SET_EVENT(E_RECORDED, TimestampTzGetDatum(now));
    SET_EVENT(E_XID, FullTransactionIdGetDatum(xid));
    SET_EVENT(E_HASH, PointerGetDatum(hash));
    SET_EVENT(E_HASH_VERSION, Int16GetDatum(2));
#undef SET_EVENT
    insert_row(estate, &events, evalues, enulls, NULL);

    ExecResetTupleTable(estate->es_tupleTable, false);
    close_target(&events);
    FreeExecutorState(estate);
    PopActiveSnapshot();

    result[0] = Int64GetDatum(position);
    result[1] = Int64GetDatum(current + 1);
    result[2] = FullTransactionIdGetDatum(xid);
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, result, rnulls);
}

Datum
vigil_append(PG_FUNCTION_ARGS)
{
    Call call;
    int saved = LockTimeout;

    InitMaterializedSRF(fcinfo, 0);
    {
        /* The rows' type (vigil.appended) as this file writes them; changed, nothing is written. */
        TupleDesc desc = ((ReturnSetInfo *) fcinfo->resultinfo)->setDesc;

        if (desc->natts != 3 || TupleDescAttr(desc, 0)->atttypid != INT8OID ||
            TupleDescAttr(desc, 1)->atttypid != INT8OID || TupleDescAttr(desc, 2)->atttypid != XID8OID ||
            strcmp(NameStr(TupleDescAttr(desc, 0)->attname), "global_position") != 0 ||
            strcmp(NameStr(TupleDescAttr(desc, 1)->attname), "stream_version") != 0 ||
            strcmp(NameStr(TupleDescAttr(desc, 2)->attname), "transaction_id") != 0)
            elog(ERROR, "vigil.append: its result type is not (global_position bigint, stream_version bigint, "
                        "transaction_id xid8); it will not append");
    }
    /* Anything but the common case's shape, bad arguments included, goes to PL/pgSQL. */
    if (!common_case(fcinfo, &call)) {
        append_general(fcinfo);
        return (Datum) 0;
    }
    /*
     * Every lock the common case waits for (its advisory locks, the tables and their indexes, the
     * sequence, a unique index's check against a concurrent insert) waits at most 15 s, as under 0029's
     * SET lock_timeout = '15s'. The function carries no SET clause (saving and restoring settings cost
     * ~8 µs a call, and it resolves no name through search_path), so the bound is set here and undone
     * whatever happens; the caller's own setting is as it was afterwards.
     */
    LockTimeout = 15000;
    PG_TRY();
    {
        append_common(fcinfo, &call);
    }
    PG_FINALLY();
    {
        LockTimeout = saved;
    }
    PG_END_TRY();
    return (Datum) 0;
}
