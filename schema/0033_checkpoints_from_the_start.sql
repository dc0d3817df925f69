-- Every projection has its place in the log from the start, at the beginning (0, 0: nothing applied), as
-- the runner makes it on its first run. Before, a projection that had never run had no row, so
-- vigil_read.lag() listed nothing for it and reports on a fresh database said their read models were up
-- to date with a log they had not read. (A projection added later gets its row from the runner, or from
-- a migration like this one.)
INSERT INTO vigil_read.checkpoints (projection)
VALUES ('missions'), ('campaigns'), ('activity'), ('weekly')
ON CONFLICT (projection) DO NOTHING;
