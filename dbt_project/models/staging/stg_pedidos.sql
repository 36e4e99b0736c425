-- Plain renames only: a filter on any of these columns still runs on the OLTP (postgres_fdw
-- pushes simple predicates down), which the incremental marts rely on.
select
    id         as id_pedido,
    id_pessoa,
    dt_venda,
    valor_total,
    created_at as criado_em,
    updated_at as atualizado_em
from {{ source('oltp', 'pedidos') }}
