-- Fraud by purchase location, grain: UF (or 'fora do Brasil'). Orders, what the two rules
-- flag and what the gabarito says, with rates. The order fact is first aggregated by its
-- location key (a few thousand groups), then named through dim_local.
with por_local as (
    select
        sk_local,
        count(*)                                                as pedidos,
        sum(valor_total)                                        as receita,
        count(*) filter (where dispositivo_novo)                as pedidos_dispositivo_novo,
        count(*) filter (where fraude_rotulada is not null)     as fraudes_rotuladas,
        count(*) filter (where fraude_rotulada = 'local')       as fraudes_rotuladas_local,
        count(*) filter (where fraude_rotulada = 'dispositivo') as fraudes_rotuladas_dispositivo
    from {{ ref('fato_pedidos') }}
    group by sk_local
),

por_uf as (
    select
        -- An order without an audit row (none in generated data) has no location: 'sem local'.
        coalesce(l.uf, 'sem local')                                                       as uf,
        coalesce(l.nome_uf, 'sem local')                                                  as nome_uf,
        coalesce(bool_or(l.fora_sp_mg_rj), false)                                         as fora_sp_mg_rj,
        sum(k.pedidos)                                                                    as pedidos,
        sum(k.receita)                                                                    as receita,
        coalesce(sum(k.pedidos) filter (where l.fora_sp_mg_rj), 0)                        as pedidos_local_fora,
        sum(k.pedidos_dispositivo_novo)                                                   as pedidos_dispositivo_novo,
        -- Orders breaking either rule: every order of a location outside SP/MG/RJ, plus the
        -- new-device orders elsewhere.
        sum(case when l.fora_sp_mg_rj then k.pedidos else k.pedidos_dispositivo_novo end) as pedidos_suspeitos,
        sum(k.fraudes_rotuladas)                                                          as fraudes_rotuladas,
        sum(k.fraudes_rotuladas_local)                                                    as fraudes_rotuladas_local,
        sum(k.fraudes_rotuladas_dispositivo)                                              as fraudes_rotuladas_dispositivo
    from por_local as k
    left join {{ ref('dim_local') }} as l on l.sk_local = k.sk_local
    group by l.uf, l.nome_uf
)

select
    uf,
    nome_uf,
    fora_sp_mg_rj,
    pedidos::bigint                       as pedidos,
    receita,
    pedidos_local_fora::bigint            as pedidos_local_fora,
    pedidos_dispositivo_novo::bigint      as pedidos_dispositivo_novo,
    pedidos_suspeitos::bigint             as pedidos_suspeitos,
    fraudes_rotuladas::bigint             as fraudes_rotuladas,
    fraudes_rotuladas_local::bigint       as fraudes_rotuladas_local,
    fraudes_rotuladas_dispositivo::bigint as fraudes_rotuladas_dispositivo,
    round(pedidos_suspeitos / pedidos, 6) as taxa_suspeita,
    round(fraudes_rotuladas / pedidos, 6) as taxa_fraude_rotulada
from por_uf
