-- Read-only user the DW's postgres_fdw logs in as on the OLTP, with the least privilege the
-- warehouse needs:
--   * LOGIN, nothing else (no superuser, replication, createdb/createrole, RLS bypass);
--   * CONNECT on this database, USAGE on schemas public and gabarito;
--   * SELECT on exactly the six store tables and gabarito.rotulos_fraude — no write privilege,
--     no other table (deteccao.*, anything a student creates later stays hidden);
--   * every session read-only by default (default_transaction_read_only), a second lock in case a
--     grant is ever widened by mistake.
--
-- Applied on the OLTP by lib/dw.ts (prepararDw), never by the postgres image: name and password
-- come from FDW_USER / FDW_PASSWORD of .env, set in this session as liga_sudoers.fdw_user /
-- liga_sudoers.fdw_password right before this file runs, so no credential is written here.
-- prepararDw creates gabarito.rotulos_fraude first (lib/carga garantirRotulos) so the grant
-- always has its target. Idempotent: a rerun re-asserts the same attributes and grants and syncs
-- the password with .env.
DO $$
DECLARE
  usuario text := current_setting('liga_sudoers.fdw_user', true);
  senha   text := current_setting('liga_sudoers.fdw_password', true);
  tabela  text;
BEGIN
  IF coalesce(usuario, '') = '' OR coalesce(senha, '') = '' THEN
    RAISE EXCEPTION 'defina liga_sudoers.fdw_user e liga_sudoers.fdw_password (FDW_USER e FDW_PASSWORD do .env) antes de aplicar este arquivo';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = usuario) THEN
    EXECUTE format('CREATE ROLE %I', usuario);
  END IF;
  EXECUTE format(
    'ALTER ROLE %I WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT NOBYPASSRLS PASSWORD %L',
    usuario, senha);
  EXECUTE format('ALTER ROLE %I SET default_transaction_read_only = on', usuario);
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), usuario);
  EXECUTE format('GRANT USAGE ON SCHEMA public, gabarito TO %I', usuario);
  -- Start from nothing on both schemas' tables, then grant exactly what the DW reads: rerunning
  -- after the list changes never leaves an old grant behind.
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public, gabarito FROM %I', usuario);
  FOREACH tabela IN ARRAY ARRAY['public.pessoas', 'public.categorias', 'public.produtos', 'public.pedidos',
                                'public.itens_pedidos', 'public.auditoria_pedidos', 'gabarito.rotulos_fraude'] LOOP
    EXECUTE format('GRANT SELECT ON TABLE %I.%I TO %I', split_part(tabela, '.', 1), split_part(tabela, '.', 2), usuario);
  END LOOP;
END
$$;
