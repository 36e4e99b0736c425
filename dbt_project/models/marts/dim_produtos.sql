{{
  config(
    indexes=[
      {'columns': ['sk_produto'], 'unique': True},
    ],
  )
}}
-- Product dimension (SCD type 1: the catalog as it is now), with the category's name.
select
    {{ chave_substituta(['p.id_produto']) }}   as sk_produto,
    p.id_produto,
    p.produto,
    p.valor_unit,
    p.id_categoria,
    c.categoria,
    greatest(p.atualizado_em, c.atualizado_em) as atualizado_em
from {{ ref('stg_produtos') }} as p
inner join {{ ref('stg_categorias') }} as c on c.id_categoria = p.id_categoria
