-- The OLTP as a foreign server of the DW, read through the least-privilege user of
-- dw-init/oltp/01_usuario_leitura.sql.
--
-- Host, port and database are the OLTP as the DW's server process sees it — natively
-- localhost:5432, in compose postgres-oltp:5432 — and come from lib/config (OLTP_HOST/PORT/DB)
-- through the session settings liga_sudoers.oltp_host / oltp_port / oltp_db; the user mapping's
-- credentials from liga_sudoers.fdw_user / fdw_password (FDW_USER / FDW_PASSWORD). lib/dw.ts
-- (prepararDw) sets them right before this file runs, so nothing here is hard-coded.
--
--   * server oltp: updatable 'false' makes every foreign table read-only on the DW side too;
--     fetch_size 10000 fetches rows in large batches (the DW reads whole tables);
--   * user mapping only for the DW user running this file (POSTGRES_USER, who runs dbt);
--   * IMPORT FOREIGN SCHEMA of the six store tables into schema oltp and of the gabarito into
--     oltp_gabarito. Only missing foreign tables are imported, so a rerun never drops objects
--     that dbt views may depend on; after changing OLTP columns, DROP SCHEMA oltp CASCADE and
--     run prepararDw again.
-- Idempotent: a rerun syncs the server options and the mapping's credentials with .env.
DO $$
DECLARE
  host    text := current_setting('liga_sudoers.oltp_host', true);
  porta   text := current_setting('liga_sudoers.oltp_port', true);
  banco   text := current_setting('liga_sudoers.oltp_db', true);
  usuario text := current_setting('liga_sudoers.fdw_user', true);
  senha   text := current_setting('liga_sudoers.fdw_password', true);
  opcoes  constant text[] := ARRAY['host', 'port', 'dbname', 'updatable', 'fetch_size'];
  valores text[];
  acao    text;
  i       int;
  faltam  text;
  alvo    record;
BEGIN
  IF coalesce(host, '') = '' OR coalesce(porta, '') = '' OR coalesce(banco, '') = ''
     OR coalesce(usuario, '') = '' OR coalesce(senha, '') = '' THEN
    RAISE EXCEPTION 'defina liga_sudoers.oltp_host, oltp_port, oltp_db, fdw_user e fdw_password (OLTP_* e FDW_* do .env) antes de aplicar este arquivo';
  END IF;
  valores := ARRAY[host, porta, banco, 'false', '10000'];

  IF NOT EXISTS (SELECT 1 FROM pg_foreign_server WHERE srvname = 'oltp') THEN
    EXECUTE format('CREATE SERVER oltp FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host %L, port %L, dbname %L, updatable %L, fetch_size %L)',
                   VARIADIC valores);
  ELSE
    FOR i IN 1 .. array_length(opcoes, 1) LOOP
      acao := CASE WHEN EXISTS (SELECT 1 FROM pg_foreign_server s, unnest(s.srvoptions) o
                                 WHERE s.srvname = 'oltp' AND o LIKE opcoes[i] || '=%') THEN 'SET' ELSE 'ADD' END;
      EXECUTE format('ALTER SERVER oltp OPTIONS (%s %I %L)', acao, opcoes[i], valores[i]);
    END LOOP;
  END IF;

  IF NOT EXISTS (SELECT 1 FROM pg_user_mappings WHERE srvname = 'oltp' AND usename = current_user) THEN
    EXECUTE format('CREATE USER MAPPING FOR CURRENT_USER SERVER oltp OPTIONS (user %L, password %L)', usuario, senha);
  ELSE
    EXECUTE format('ALTER USER MAPPING FOR CURRENT_USER SERVER oltp OPTIONS (SET user %L, SET password %L)', usuario, senha);
  END IF;

  CREATE SCHEMA IF NOT EXISTS oltp;
  CREATE SCHEMA IF NOT EXISTS oltp_gabarito;
  COMMENT ON SCHEMA oltp IS 'Tabelas do OLTP (postgres_fdw, somente leitura): a fonte do dbt.';
  COMMENT ON SCHEMA oltp_gabarito IS 'Gabarito de fraudes do OLTP (postgres_fdw, somente leitura).';
  FOR alvo IN SELECT * FROM (VALUES
      ('public', 'oltp', ARRAY['pessoas', 'categorias', 'produtos', 'pedidos', 'itens_pedidos', 'auditoria_pedidos']),
      ('gabarito', 'oltp_gabarito', ARRAY['rotulos_fraude'])) AS v(remoto, local, tabelas) LOOP
    SELECT string_agg(quote_ident(t), ', ') INTO faltam
      FROM unnest(alvo.tabelas) AS t
     WHERE to_regclass(format('%I.%I', alvo.local, t)) IS NULL;
    IF faltam IS NOT NULL THEN
      EXECUTE format('IMPORT FOREIGN SCHEMA %I LIMIT TO (%s) FROM SERVER oltp INTO %I', alvo.remoto, faltam, alvo.local);
    END IF;
  END LOOP;
END
$$;
