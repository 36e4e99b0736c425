-- Fraud by rule, grain: rule ('local', 'dispositivo' and 'qualquer' = either). How many orders
-- each rule flags, how many the gabarito labels, and how they agree (confusion matrix; the
-- rule's precision and recall against the labels).
-- The order fact is first grouped by location key and the two other inputs (a few thousand
-- groups), then the location rule comes from dim_local.
with grupos as (
    select
        sk_local,
        dispositivo_novo,
        fraude_rotulada,
        count(*) as pedidos
    from {{ ref('fato_pedidos') }}
    group by sk_local, dispositivo_novo, fraude_rotulada
),

pedidos as (
    select
        coalesce(l.fora_sp_mg_rj, false) as local_fora,
        g.dispositivo_novo,
        g.fraude_rotulada,
        g.pedidos
    from grupos as g
    left join {{ ref('dim_local') }} as l on l.sk_local = g.sk_local
),

contagens as (
    select
        coalesce(sum(pedidos), 0)                                                                                 as pedidos,
        coalesce(sum(pedidos) filter (where local_fora), 0)                                                       as local_detectados,
        coalesce(sum(pedidos) filter (where fraude_rotulada = 'local'), 0)                                        as local_rotulados,
        coalesce(sum(pedidos) filter (where local_fora and fraude_rotulada = 'local'), 0)                         as local_vp,
        coalesce(sum(pedidos) filter (where dispositivo_novo), 0)                                                 as dispositivo_detectados,
        coalesce(sum(pedidos) filter (where fraude_rotulada = 'dispositivo'), 0)                                  as dispositivo_rotulados,
        coalesce(sum(pedidos) filter (where dispositivo_novo and fraude_rotulada = 'dispositivo'), 0)             as dispositivo_vp,
        coalesce(sum(pedidos) filter (where local_fora or dispositivo_novo), 0)                                   as qualquer_detectados,
        coalesce(sum(pedidos) filter (where fraude_rotulada is not null), 0)                                      as qualquer_rotulados,
        coalesce(sum(pedidos) filter (where (local_fora or dispositivo_novo) and fraude_rotulada is not null), 0) as qualquer_vp
    from pedidos
),

por_regra as (
    select
        r.regra,
        c.pedidos,
        r.detectados,
        r.rotulados,
        r.vp
    from contagens as c
    cross join lateral (
        values
        ('local', c.local_detectados, c.local_rotulados, c.local_vp),
        ('dispositivo', c.dispositivo_detectados, c.dispositivo_rotulados, c.dispositivo_vp),
        ('qualquer', c.qualquer_detectados, c.qualquer_rotulados, c.qualquer_vp)
    ) as r (regra, detectados, rotulados, vp)
)

select
    regra,
    pedidos::bigint                                    as pedidos,
    detectados::bigint                                 as detectados,
    rotulados::bigint                                  as rotulados,
    vp::bigint                                         as verdadeiros_positivos,
    (detectados - vp)::bigint                          as falsos_positivos,
    (rotulados - vp)::bigint                           as falsos_negativos,
    round(detectados::numeric / nullif(pedidos, 0), 6) as taxa_detectada,
    round(rotulados::numeric / nullif(pedidos, 0), 6)  as taxa_rotulada,
    round(vp::numeric / nullif(detectados, 0), 6)      as precisao,
    round(vp::numeric / nullif(rotulados, 0), 6)       as recall
from por_regra
