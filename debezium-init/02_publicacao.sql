-- What Debezium reads: the replica identity of each table and the pgoutput publication.
--
-- Replica identity decides what the WAL keeps of the OLD row on UPDATE/DELETE, hence the
-- `before` of Debezium's events:
--   * pessoas: FULL — the whole old row is logged, so an update or delete of a person carries the
--     complete `before` (the CDC demo of notebook 04 shows before/after side by side). The table is
--     small and rarely updated, so the extra WAL is negligible.
--   * the other five: DEFAULT (the primary key) — `before` holds only the key on DELETE and is null
--     on UPDATE. Orders, items and audit rows are insert-only in this store, and the catalog changes
--     rarely; FULL there would log whole rows for nothing on the busiest tables.
-- ALTER TABLE … REPLICA IDENTITY takes an ACCESS EXCLUSIVE lock, so it only runs when the setting
-- differs: rerunning this file while the generators write never blocks them.
--
-- The publication is created here (the connector runs with publication.autocreate.mode=disabled,
-- so its user needs no ownership of the tables) and holds exactly the six OLTP tables. Its name
-- comes from publication.name of debezium-init/conector-oltp.json, set by lib/cdc (prepararCaptura) in the session
-- setting liga_sudoers.publicacao. Idempotent: created once, its table list reset only if it differs.
DO $$
DECLARE
  alvo   constant text[] := ARRAY['pessoas', 'categorias', 'produtos', 'pedidos', 'itens_pedidos', 'auditoria_pedidos'];
  lista  text := (SELECT string_agg(format('public.%I', t), ', ') FROM unnest(alvo) AS t);
  pub    text := current_setting('liga_sudoers.publicacao', true);
  tabela text;
  modo   "char";
  atual  text[];
BEGIN
  IF coalesce(pub, '') = '' THEN
    RAISE EXCEPTION 'defina liga_sudoers.publicacao (publication.name do conector) antes de aplicar este arquivo';
  END IF;
  FOREACH tabela IN ARRAY alvo LOOP
    modo := CASE WHEN tabela = 'pessoas' THEN 'f' ELSE 'd' END;
    IF (SELECT relreplident FROM pg_class WHERE oid = format('public.%I', tabela)::regclass) IS DISTINCT FROM modo THEN
      EXECUTE format('ALTER TABLE public.%I REPLICA IDENTITY %s', tabela, CASE modo WHEN 'f' THEN 'FULL' ELSE 'DEFAULT' END);
    END IF;
  END LOOP;

  IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = pub) THEN
    -- Publishes inserts, updates, deletes and truncates (PostgreSQL's default; Debezium skips truncates).
    EXECUTE format('CREATE PUBLICATION %I FOR TABLE %s', pub, lista);
  ELSE
    IF (SELECT puballtables FROM pg_publication WHERE pubname = pub) THEN
      RAISE EXCEPTION 'a publicação % existe com FOR ALL TABLES; apague-a (DROP PUBLICATION %) e rode de novo', pub, pub;
    END IF;
    SELECT array_agg(format('%I.%I', schemaname, tablename) ORDER BY schemaname, tablename) INTO atual
      FROM pg_publication_tables WHERE pubname = pub;
    IF atual IS DISTINCT FROM (SELECT array_agg(format('public.%I', t) ORDER BY t) FROM unnest(alvo) AS t) THEN
      EXECUTE format('ALTER PUBLICATION %I SET TABLE %s', pub, lista);
    END IF;
    IF NOT (SELECT pubinsert AND pubupdate AND pubdelete AND pubtruncate FROM pg_publication WHERE pubname = pub) THEN
      EXECUTE format('ALTER PUBLICATION %I SET (publish = %L)', pub, 'insert, update, delete, truncate');
    END IF;
  END IF;
END
$$;
