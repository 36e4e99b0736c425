-- Keeps updated_at current: every UPDATE, on every table, stamps the row with now()
-- (the transaction start time, the same clock as the created_at/updated_at defaults).
-- The trigger overrides any value the UPDATE itself writes, so the watermark used by
-- incremental loads cannot be forged or forgotten by the application.
-- Idempotent: CREATE OR REPLACE FUNCTION / CREATE OR REPLACE TRIGGER (PostgreSQL >= 14).

CREATE OR REPLACE FUNCTION atualizar_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END;
$$;

COMMENT ON FUNCTION atualizar_updated_at() IS 'Trigger: grava now() em updated_at a cada UPDATE.';

CREATE OR REPLACE TRIGGER pessoas_updated_at BEFORE UPDATE ON pessoas
  FOR EACH ROW EXECUTE FUNCTION atualizar_updated_at();
CREATE OR REPLACE TRIGGER categorias_updated_at BEFORE UPDATE ON categorias
  FOR EACH ROW EXECUTE FUNCTION atualizar_updated_at();
CREATE OR REPLACE TRIGGER produtos_updated_at BEFORE UPDATE ON produtos
  FOR EACH ROW EXECUTE FUNCTION atualizar_updated_at();
CREATE OR REPLACE TRIGGER pedidos_updated_at BEFORE UPDATE ON pedidos
  FOR EACH ROW EXECUTE FUNCTION atualizar_updated_at();
CREATE OR REPLACE TRIGGER itens_pedidos_updated_at BEFORE UPDATE ON itens_pedidos
  FOR EACH ROW EXECUTE FUNCTION atualizar_updated_at();
CREATE OR REPLACE TRIGGER auditoria_pedidos_updated_at BEFORE UPDATE ON auditoria_pedidos
  FOR EACH ROW EXECUTE FUNCTION atualizar_updated_at();
