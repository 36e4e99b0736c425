// Facts of the course's domain that several modules share, kept here once and free of imports
// so that anything (the CDC, the DW, the lakehouse, tests) can use them without loading drivers.

/** The six tables of the store's OLTP model (postgresql-init/), in the order lesson 01 shows them. */
export const TABELAS_OLTP = ["pessoas", "categorias", "produtos", "pedidos", "itens_pedidos", "auditoria_pedidos"] as const;

/** One of the six OLTP tables. */
export type TabelaOltp = (typeof TABELAS_OLTP)[number];
