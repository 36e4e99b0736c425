-- Indexes for the course queries and for incremental loads. Idempotent (IF NOT EXISTS).
-- Primary keys already index pessoas(id), produtos(id), pedidos(id),
-- itens_pedidos(id_pedido, ...) and auditoria_pedidos(id_pedido).

-- Orders of a person in time order: serves the FK lookup on id_pessoa (leading column),
-- joins pessoas -> pedidos and the device rule (a person's previous orders).
CREATE INDEX IF NOT EXISTS pedidos_id_pessoa_dt_venda_idx ON pedidos (id_pessoa, dt_venda);
-- History windows and "orders of the last N days".
CREATE INDEX IF NOT EXISTS pedidos_dt_venda_idx ON pedidos (dt_venda);
-- FK lookups not covered by a primary key (also keeps ON DELETE RESTRICT checks cheap).
CREATE INDEX IF NOT EXISTS itens_pedidos_id_produto_idx ON itens_pedidos (id_produto);
CREATE INDEX IF NOT EXISTS produtos_id_categoria_idx ON produtos (id_categoria);

-- Watermarks for incremental extraction (dbt "updated_at > max(updated_at)").
CREATE INDEX IF NOT EXISTS pessoas_updated_at_idx ON pessoas (updated_at);
CREATE INDEX IF NOT EXISTS categorias_updated_at_idx ON categorias (updated_at);
CREATE INDEX IF NOT EXISTS produtos_updated_at_idx ON produtos (updated_at);
CREATE INDEX IF NOT EXISTS pedidos_updated_at_idx ON pedidos (updated_at);
CREATE INDEX IF NOT EXISTS itens_pedidos_updated_at_idx ON itens_pedidos (updated_at);
CREATE INDEX IF NOT EXISTS auditoria_pedidos_updated_at_idx ON auditoria_pedidos (updated_at);
