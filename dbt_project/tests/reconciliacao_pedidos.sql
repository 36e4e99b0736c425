-- Reconciliation with the OLTP: the order fact has exactly the orders of the OLTP, and the same
-- revenue (sum of the order totals), to the cent. Only OLTP rows up to the fact's watermark
-- count, so an order written after the build is not a failure; the OLTP side runs on the OLTP
-- (postgres_fdw pushes the filter, count and sum down). Returns a row (= failure) when any
-- measure differs.
with dw as (
    select
        count(*)                      as pedidos,
        coalesce(sum(valor_total), 0) as receita,
        max(pedido_atualizado_em)     as marca
    from {{ ref('fato_pedidos') }}
),

oltp as (
    select
        count(*)                      as pedidos,
        coalesce(sum(valor_total), 0) as receita
    from {{ source('oltp', 'pedidos') }}
    where updated_at <= (select d.marca from dw as d)
)

select
    dw.pedidos   as pedidos_dw,
    oltp.pedidos as pedidos_oltp,
    dw.receita   as receita_dw,
    oltp.receita as receita_oltp
from dw cross join oltp
where dw.pedidos <> oltp.pedidos or dw.receita <> oltp.receita
