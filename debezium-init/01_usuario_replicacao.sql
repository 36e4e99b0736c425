-- Replication user for Debezium, with the least privilege the PostgreSQL connector needs when
-- the publication already exists (publication.autocreate.mode=disabled):
--   * LOGIN REPLICATION: open a replication connection and create/read its logical slot;
--   * CONNECT on this database and USAGE on schema public;
--   * SELECT on exactly the six captured tables (for the initial snapshot), nothing else:
--     no superuser, no table ownership, no write privilege, no other schema (gabarito stays hidden).
--
-- Applied by lib/cdc/postgres.ts (prepararCaptura), never by the postgres image: the name and password come
-- from CDC_USER / CDC_PASSWORD of .env, set in this session as the custom settings
-- liga_sudoers.cdc_user / liga_sudoers.cdc_password right before this file runs, so no credential
-- is written here. format() with %I / %L quotes them safely. Idempotent: a second run only
-- re-asserts the same attributes and grants (and syncs the password with .env).
DO $$
DECLARE
  usuario text := current_setting('liga_sudoers.cdc_user', true);
  senha   text := current_setting('liga_sudoers.cdc_password', true);
  tabela  text;
BEGIN
  IF coalesce(usuario, '') = '' OR coalesce(senha, '') = '' THEN
    RAISE EXCEPTION 'defina liga_sudoers.cdc_user e liga_sudoers.cdc_password (CDC_USER e CDC_PASSWORD do .env) antes de aplicar este arquivo';
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = usuario) THEN
    EXECUTE format('CREATE ROLE %I', usuario);
  END IF;
  EXECUTE format(
    'ALTER ROLE %I WITH LOGIN REPLICATION NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT NOBYPASSRLS PASSWORD %L',
    usuario, senha);
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), usuario);
  EXECUTE format('GRANT USAGE ON SCHEMA public TO %I', usuario);
  -- Start from nothing on public's tables, then grant exactly SELECT on the captured ones:
  -- rerunning after the list changes never leaves an old grant behind.
  EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA public FROM %I', usuario);
  FOREACH tabela IN ARRAY ARRAY['pessoas', 'categorias', 'produtos', 'pedidos', 'itens_pedidos', 'auditoria_pedidos'] LOOP
    EXECUTE format('GRANT SELECT ON TABLE public.%I TO %I', tabela, usuario);
  END LOOP;
END
$$;
