-- Revenue by product category and month of sale, grain: (categoria, ano_mes). The item fact is
-- first aggregated by product and month key (sk_data / 100 = yyyymm: a few thousand groups),
-- then named through the dimensions.
with por_chave as (
    select
        sk_produto,
        sk_data / 100    as chave_mes,
        count(*)         as itens,
        sum(qtde)        as quantidade,
        sum(valor_total) as receita
    from {{ ref('fato_itens_pedido') }}
    group by sk_produto, sk_data / 100
),

meses as (
    select distinct
        sk_data / 100 as chave_mes,
        ano,
        mes,
        nome_mes,
        ano_mes
    from {{ ref('dim_data') }}
)

select
    p.id_categoria,
    p.categoria,
    m.ano,
    m.mes,
    m.nome_mes,
    m.ano_mes,
    sum(k.itens)::bigint      as itens,
    sum(k.quantidade)::bigint as quantidade,
    sum(k.receita)            as receita
from por_chave as k
inner join {{ ref('dim_produtos') }} as p on p.sk_produto = k.sk_produto
inner join meses as m on m.chave_mes = k.chave_mes
group by p.id_categoria, p.categoria, m.ano, m.mes, m.nome_mes, m.ano_mes
