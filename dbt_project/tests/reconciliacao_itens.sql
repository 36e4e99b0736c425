-- Reconciliation with the OLTP: the item fact has exactly the items of the OLTP — count,
-- units and revenue (sum of the items' valor_total), to the cent — up to the fact's watermark
-- (see reconciliacao_pedidos). One pass over the fact. Returns a row (= failure) when any
-- measure differs.
with dw as (
    select
        count(*)                      as itens,
        coalesce(sum(qtde), 0)        as quantidade,
        coalesce(sum(valor_total), 0) as receita,
        max(item_atualizado_em)       as marca
    from {{ ref('fato_itens_pedido') }}
),

oltp as (
    select
        count(*)                      as itens,
        coalesce(sum(qtde), 0)        as quantidade,
        coalesce(sum(valor_total), 0) as receita
    from {{ source('oltp', 'itens_pedidos') }}
    where updated_at <= (select d.marca from dw as d)
)

select
    dw.itens        as itens_dw,
    oltp.itens      as itens_oltp,
    dw.quantidade   as quantidade_dw,
    oltp.quantidade as quantidade_oltp,
    dw.receita      as receita_dw,
    oltp.receita    as receita_oltp
from dw cross join oltp
where dw.itens <> oltp.itens or dw.quantidade <> oltp.quantidade or dw.receita <> oltp.receita
