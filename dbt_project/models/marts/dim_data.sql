{{
  config(
    indexes=[
      {'columns': ['sk_data'], 'unique': True},
    ],
  )
}}
-- Date dimension, generated: one row per Brazilian calendar day from January 1st of the year
-- before the first sale to December 31st of the year after the last sale (or of today, if
-- later). Built after fato_pedidos, from its sale dates, so every day the facts point at is
-- here. Key: yyyymmdd as int. National holidays include the movable ones, computed from
-- Easter (below, in SQL).
with limites as (
    select
        (min(dt_venda) at time zone '{{ var("fuso_horario") }}')::date as primeira_venda,
        (max(dt_venda) at time zone '{{ var("fuso_horario") }}')::date as ultima_venda
    from {{ ref('fato_pedidos') }}
),

dias as (
    select d::date as data
    from limites,
        generate_series(
            make_date(extract(year from coalesce(primeira_venda, current_date))::int - 1, 1, 1),
            make_date(extract(year from greatest(ultima_venda, current_date))::int + 1, 12, 31),
            interval '1 day'
        ) as d
),

anos as (
    select distinct extract(year from data)::int as ano from dias
),

-- Easter Sunday (Gregorian calendar), the anonymous algorithm published by Meeus
-- ("Astronomical Algorithms", 1991), all in integer arithmetic.
pascoa_passos as (
    select
        ano,
        ano % 19  as a,
        ano / 100 as b,
        ano % 100 as c
    from anos
),

pascoa_passos2 as (
    select
        ano,
        a,
        b,
        c,
        b / 4        as d,
        b % 4        as e,
        (b + 8) / 25 as f
    from pascoa_passos
),

pascoa_passos3 as (
    select
        ano,
        a,
        c,
        e,
        (19 * a + b - d - (b - f + 1) / 3 + 15) % 30 as h,
        c / 4                                        as i,
        c % 4                                        as k
    from pascoa_passos2
),

pascoa_passos4 as (
    select
        ano,
        a,
        h,
        (32 + 2 * e + 2 * i - h - k) % 7 as l
    from pascoa_passos3
),

pascoa as (
    select
        ano,
        make_date(
            ano,
            (h + l - 7 * ((a + 11 * h + 22 * l) / 451) + 114) / 31,
            (h + l - 7 * ((a + 11 * h + 22 * l) / 451) + 114) % 31 + 1
        ) as domingo_de_pascoa
    from pascoa_passos4
),

feriados as (
    -- Fixed national holidays (Lei 662/1949, Lei 6.802/1980, Lei 14.759/2023 for November 20th).
    select
        make_date(a.ano, f.mes, f.dia) as data,
        f.nome,
        'feriado nacional'             as tipo
    from anos as a
    cross join (
        values
        (1, 1, 'Confraternização Universal', 1900),
        (4, 21, 'Tiradentes', 1900),
        (5, 1, 'Dia do Trabalho', 1900),
        (9, 7, 'Independência do Brasil', 1900),
        (10, 12, 'Nossa Senhora Aparecida', 1900),
        (11, 2, 'Finados', 1900),
        (11, 15, 'Proclamação da República', 1900),
        (11, 20, 'Dia Nacional de Zumbi e da Consciência Negra', 2024),
        (12, 25, 'Natal', 1900)
    ) as f (mes, dia, nome, desde)
    where a.ano >= f.desde

    union all

    -- Movable dates, counted from Easter Sunday. Carnival and Corpus Christi are optional
    -- days off (ponto facultativo) nationally; Good Friday is a holiday.
    select
        p.domingo_de_pascoa + m.deslocamento as data,
        m.nome,
        m.tipo
    from pascoa as p
    cross join (
        values
        (-48, 'Carnaval (segunda-feira)', 'ponto facultativo'),
        (-47, 'Carnaval (terça-feira)', 'ponto facultativo'),
        (-2, 'Sexta-feira Santa', 'feriado nacional'),
        (60, 'Corpus Christi', 'ponto facultativo')
    ) as m (deslocamento, nome, tipo)
),

-- One row per day: Good Friday can fall on April 21st (it did in 2000).
feriados_por_dia as (
    select
        data,
        string_agg(nome, ' / ' order by nome) as nome,
        -- 'feriado nacional' sorts before 'ponto facultativo': a holiday wins.
        min(tipo)                             as tipo
    from feriados
    group by data
)

select
    to_char(d.data, 'YYYYMMDD')::int                          as sk_data,
    d.data,
    extract(year from d.data)::int                            as ano,
    extract(quarter from d.data)::int                         as trimestre,
    extract(month from d.data)::int                           as mes,
    (array[
        'janeiro', 'fevereiro', 'março', 'abril', 'maio', 'junho', 'julho', 'agosto',
        'setembro', 'outubro', 'novembro', 'dezembro'
    ])[extract(month from d.data
    )::int]                                                   as nome_mes,
    to_char(d.data, 'YYYY-MM')                                as ano_mes,
    extract(day from d.data)::int                             as dia,
    -- 1 = domingo … 7 = sábado (the Brazilian calendar's order).
    extract(dow from d.data)::int + 1                         as dia_semana,
    (array[
        'domingo', 'segunda-feira', 'terça-feira', 'quarta-feira', 'quinta-feira',
        'sexta-feira', 'sábado'
    ])[extract(dow from d.data
    )::int + 1]                                               as nome_dia_semana,
    extract(dow from d.data) in (0, 6)                        as fim_de_semana,
    f.data is not null                                        as feriado,
    f.nome                                                    as nome_feriado,
    f.tipo                                                    as tipo_feriado,
    extract(dow from d.data) not in (0, 6) and f.data is null as dia_util
from dias as d
left join feriados_por_dia as f on f.data = d.data
