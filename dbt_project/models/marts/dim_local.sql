{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='geohash',
    indexes=[
      {'columns': ['sk_local'], 'unique': True},
      {'columns': ['geohash'], 'unique': True},
    ],
  )
}}
-- Location dimension, grain geohash: the UF of each purchase location and the location rule
-- (fora_sp_mg_rj), plus the cell's centre for maps.
--
-- Built from the geohashes of fato_pedidos, after it, so it holds every location the facts
-- point at; the UF comes from int_geohash_uf (the PostGIS cache, filled at the start of the
-- build), and geo.uf_do_geohash is called here only for a geohash that reached the OLTP after
-- the cache read it (a concurrent writer). Incremental: the geohashes of the orders
-- fato_pedidos loaded since this model last ran; a geohash already here is merged again only
-- to move its watermark.
with vistos as (
    select
        geohash,
        max(carregado_em) as pedido_carregado_em
    from {{ ref('fato_pedidos') }}
    where
        geohash is not null
        {% if is_incremental() %}
        and carregado_em > (select coalesce(max(d.pedido_carregado_em), '-infinity'::timestamptz) from {{ this }} as d)
        {% endif %}
    group by geohash
),

localizados as (
    select
        v.geohash,
        v.pedido_carregado_em,
        -- COALESCE (like CASE) evaluates the function only when the cache lacks the geohash.
        coalesce(c.uf, geo.uf_do_geohash(v.geohash)) as uf
    from vistos as v
    left join {{ ref('int_geohash_uf') }} as c on c.geohash = v.geohash
)

select
    {{ chave_substituta(['l.geohash']) }}               as sk_local,
    l.geohash,
    l.uf,
    coalesce(u.nome, l.uf)                              as nome_uf,
    u.uf is not null                                    as no_brasil,
    {{ fora_da_area('l.uf') }}                          as fora_sp_mg_rj,
    -- Centre of the cell, the point the rule classifies.
    st_y(st_pointfromgeohash(l.geohash))::numeric(9, 6) as latitude,
    st_x(st_pointfromgeohash(l.geohash))::numeric(9, 6) as longitude,
    l.pedido_carregado_em
from localizados as l
left join {{ source('geo', 'ufs') }} as u on u.uf = l.uf
