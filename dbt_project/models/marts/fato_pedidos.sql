{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='id_pedido',
    on_schema_change='fail',
    indexes=[
      {'columns': ['id_pedido'], 'unique': True},
      {'columns': ['id_pessoa', 'primeiro_uso_dispositivo']},
      {'columns': ['carregado_em']},
    ],
    pre_hook=[
      "set local work_mem = '256MB'",
      "set local jit = off",
      "{{ sem_nested_loop_na_carga_completa() }}",
    ],
    post_hook="{{ analisar_apos_carga_completa() }}",
  )
}}
-- Order fact, grain: one order. Order, audit row and fraud label (gabarito) together, the
-- surrogate keys of the order's dimensions and the device rule of the course — exactly
-- lib/fraude.ts auditarRotulos / lib/detector/regras.ts avaliarRegras:
--   dispositivo_novo = the person has an order strictly earlier (dt_venda) and no strictly
--   earlier order with this device
--   ⇔ dt_venda = first sale of the person with this device AND dt_venda > person's first sale.
-- The location rule needs PostGIS and lives in dim_local (fora_sp_mg_rj); fato_itens_pedido
-- carries both flags.
--
-- Incremental (merge on id_pedido):
--   1. each source table is filtered by its own watermark (updated_at, injetado_em) on the
--      OLTP — postgres_fdw pushes down only simple per-table predicates — and the union of ids
--      gives the orders to rebuild; their three rows are then read by id (same remote snapshot);
--   2. rows re-read only because of var('folga_incremental') and unchanged are dropped;
--   3. an order can change the device rule of the same person's other orders (the historical
--      generator writes orders dated in the past). The rule only needs, per person, the
--      earliest sale overall and per device; both are attained on orders flagged
--      primeiro_uso_dispositivo, and only those orders can flip. So the rule is recomputed
--      over the new orders plus the stored first-use orders of the same people (index
--      (id_pessoa, primeiro_uso_dispositivo)) — all the orders of a person only when one of
--      their existing orders changed (updates; the generators only insert);
--   4. orders mapped to an older version of their person (updated between the snapshot and
--      this model) are mapped again — the rule's inputs of those people come along;
--   5. new orders and stored ones whose flags or person version changed are merged.

with

{% if is_incremental() %}
-- The three watermarks in one pass over this table (see macros/incremental.sql, marca_dagua).
marcas as (
    select
        coalesce(max(pedido_atualizado_em), '-infinity'::timestamptz) - interval '{{ var("folga_incremental") }}'    as pedidos,
        coalesce(max(auditoria_atualizada_em), '-infinity'::timestamptz) - interval '{{ var("folga_incremental") }}' as auditoria,
        coalesce(max(rotulo_injetado_em), '-infinity'::timestamptz) - interval '{{ var("folga_incremental") }}'      as rotulos
    from {{ this }}
),

tocados as (
    select id_pedido from {{ ref('stg_pedidos') }}
    where atualizado_em > (select m.pedidos from marcas as m)
    union
    select id_pedido from {{ ref('stg_auditoria_pedidos') }}
    where atualizado_em > (select m.auditoria from marcas as m)
    union
    select id_pedido from {{ ref('stg_rotulos_fraude') }}
    where injetado_em > (select m.rotulos from marcas as m)
),
{% endif %}

{#- One filter per table, so each reaches the OLTP (a condition across the join would not).
    PostgreSQL inlines these CTEs (each is read once), so the filters stay on the foreign scans. -#}
{%- set so_tocados = "where id_pedido = any(array(select tc.id_pedido from tocados as tc))" if is_incremental() else "" %}
pedidos_lidos as (
    select * from {{ ref('stg_pedidos') }}
    {{ so_tocados }}
),

auditoria_lida as (
    select * from {{ ref('stg_auditoria_pedidos') }}
    {{ so_tocados }}
),

rotulos_lidos as (
    select * from {{ ref('stg_rotulos_fraude') }}
    {{ so_tocados }}
),

pedidos as (
    select
        p.id_pedido,
        p.id_pessoa,
        p.dt_venda,
        p.valor_total,
        a.dispositivo,
        a.geohash,
        a.telefone,
        r.tipo_fraude   as fraude_rotulada,
        p.atualizado_em as pedido_atualizado_em,
        a.atualizado_em as auditoria_atualizada_em,
        r.injetado_em   as rotulo_injetado_em
    from pedidos_lidos as p
    left join auditoria_lida as a
        on a.id_pedido = p.id_pedido
    left join rotulos_lidos as r
        on r.id_pedido = p.id_pedido
),

{% if is_incremental() %}
novos as (
    select p.*
    from pedidos as p
    left join {{ this }} as t on t.id_pedido = p.id_pedido
    where
        t.id_pedido is null
        or t.pedido_atualizado_em is distinct from p.pedido_atualizado_em
        or t.auditoria_atualizada_em is distinct from p.auditoria_atualizada_em
        or t.rotulo_injetado_em is distinct from p.rotulo_injetado_em
),

-- People with an already loaded order that changed: all their orders are re-evaluated.
pessoas_alteradas as (
    select t.id_pessoa
    from {{ this }} as t
    inner join novos as n on n.id_pedido = t.id_pedido
    union
    select n.id_pessoa
    from novos as n
    inner join {{ this }} as t on t.id_pedido = n.id_pedido
),

-- Orders mapped to an older version of their person: the person was updated in the OLTP
-- after the snapshot read it but before this model read the order (the two run seconds apart).
-- Only people with more than one version can have them; they get their version again.
versao_desatualizada as (
    select t.*
    from {{ ref('int_pessoas_versoes') }} as v
    inner join {{ this }} as t
        on
            t.id_pessoa = v.id_pessoa
            and t.dt_venda >= v.valido_de
            and t.dt_venda < v.valido_ate
    where
        v.versao > 1
        and t.sk_pessoa <> v.sk_pessoa
),

pessoas_tocadas as (
    select id_pessoa from novos
    union
    select id_pessoa from versao_desatualizada
),

-- The device rule of a person only needs their first-use orders (see above); whenever any
-- stored order of a person is re-evaluated, those orders come along.
anteriores as (
    select t.*
    from {{ this }} as t
    where
        t.id_pessoa = any(array(select pt.id_pessoa from pessoas_tocadas as pt))
        and t.primeiro_uso_dispositivo
    union
    select t.*
    from {{ this }} as t
    where t.id_pessoa = any(array(select pa.id_pessoa from pessoas_alteradas as pa))
    union
    select * from versao_desatualizada
),

conjunto as (
    select
        n.*,
        true          as novo,
        null::uuid    as sk_pessoa_antes,
        null::boolean as primeiro_pedido_antes,
        null::boolean as primeiro_uso_antes,
        null::boolean as dispositivo_novo_antes
    from novos as n
    union all
    select
        a.id_pedido,
        a.id_pessoa,
        a.dt_venda,
        a.valor_total,
        a.dispositivo,
        a.geohash,
        a.telefone,
        a.fraude_rotulada,
        a.pedido_atualizado_em,
        a.auditoria_atualizada_em,
        a.rotulo_injetado_em,
        false                      as novo,
        a.sk_pessoa                as sk_pessoa_antes,
        a.primeiro_pedido_pessoa   as primeiro_pedido_antes,
        a.primeiro_uso_dispositivo as primeiro_uso_antes,
        a.dispositivo_novo         as dispositivo_novo_antes
    from anteriores as a
    where not exists (
        select 1 from novos as n
        where n.id_pedido = a.id_pedido
    )
),
{% else %}
conjunto as (
    select
        p.*,
        true          as novo,
        null::uuid    as sk_pessoa_antes,
        null::boolean as primeiro_pedido_antes,
        null::boolean as primeiro_uso_antes,
        null::boolean as dispositivo_novo_antes
    from pedidos as p
),
{% endif %}

regra_dispositivo as (
    -- Orders without an audit row (none in generated data) have no device: they take no part.
    select
        c.*,
        min(c.dt_venda) filter (where c.dispositivo is not null)
            over (partition by c.id_pessoa)                            as primeira_venda_pessoa,
        min(c.dt_venda) over (partition by c.id_pessoa, c.dispositivo) as primeira_venda_dispositivo
    from conjunto as c
),

final as (
    select
        r.id_pedido,
        -- The person's version valid at the sale; for a person registered after the snapshot
        -- read the OLTP (a concurrent writer), their version 1 — dim_pessoas, built after this
        -- model, adds it.
        coalesce(dp.sk_pessoa, {{ chave_substituta(['r.id_pessoa', 1]) }})                       as sk_pessoa,
        {{ chave_data('r.dt_venda') }}                                                           as sk_data,
        case when r.geohash is not null then {{ chave_substituta(['r.geohash']) }} end           as sk_local,
        case when r.dispositivo is not null then {{ chave_substituta(['r.dispositivo']) }} end   as sk_dispositivo,
        r.id_pessoa,
        r.dt_venda,
        r.valor_total,
        r.dispositivo,
        r.geohash,
        r.telefone,
        coalesce(r.dispositivo is not null and r.dt_venda = r.primeira_venda_pessoa, false)      as primeiro_pedido_pessoa,
        coalesce(r.dispositivo is not null and r.dt_venda = r.primeira_venda_dispositivo, false) as primeiro_uso_dispositivo,
        coalesce(
            r.dispositivo is not null
            and r.dt_venda = r.primeira_venda_dispositivo
            and r.dt_venda > r.primeira_venda_pessoa,
            false
        )                                                                                        as dispositivo_novo,
        r.fraude_rotulada,
        r.pedido_atualizado_em,
        r.auditoria_atualizada_em,
        r.rotulo_injetado_em,
        now()                                                                                    as carregado_em,
        r.novo,
        r.sk_pessoa_antes,
        r.primeiro_pedido_antes,
        r.primeiro_uso_antes,
        r.dispositivo_novo_antes
    from regra_dispositivo as r
    left join {{ ref('int_pessoas_versoes') }} as dp
        on
            dp.id_pessoa = r.id_pessoa
            and r.dt_venda >= dp.valido_de
            and r.dt_venda < dp.valido_ate
)

select
    id_pedido,
    sk_pessoa,
    sk_data,
    sk_local,
    sk_dispositivo,
    id_pessoa,
    dt_venda,
    valor_total,
    dispositivo,
    geohash,
    telefone,
    primeiro_pedido_pessoa,
    primeiro_uso_dispositivo,
    dispositivo_novo,
    fraude_rotulada,
    pedido_atualizado_em,
    auditoria_atualizada_em,
    rotulo_injetado_em,
    carregado_em
from final
where
    novo
    or sk_pessoa is distinct from sk_pessoa_antes
    or primeiro_pedido_pessoa is distinct from primeiro_pedido_antes
    or primeiro_uso_dispositivo is distinct from primeiro_uso_antes
    or dispositivo_novo is distinct from dispositivo_novo_antes
