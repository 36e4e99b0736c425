{{
  config(
    materialized='incremental',
    incremental_strategy='merge',
    unique_key='dispositivo',
    indexes=[
      {'columns': ['sk_dispositivo'], 'unique': True},
      {'columns': ['dispositivo'], 'unique': True},
    ],
  )
}}
-- Device dimension: one row per device brand of fato_pedidos, built after it so it holds
-- every device the facts point at. Incremental like dim_local: the devices of the orders
-- fato_pedidos loaded since this model last ran.
with vistos as (
    select
        dispositivo,
        max(carregado_em) as pedido_carregado_em
    from {{ ref('fato_pedidos') }}
    where
        dispositivo is not null
        {% if is_incremental() %}
        and carregado_em > (select coalesce(max(d.pedido_carregado_em), '-infinity'::timestamptz) from {{ this }} as d)
        {% endif %}
    group by dispositivo
)

select
    {{ chave_substituta(['dispositivo']) }}                            as sk_dispositivo,
    dispositivo,
    case when dispositivo = 'Iphone' then 'Apple' else dispositivo end as fabricante,
    case
        when dispositivo = 'Iphone' then 'iOS'
        when dispositivo in ('Samsung', 'Motorola', 'Xiaomi', 'Nokia', 'LG', 'Asus') then 'Android'
        else 'desconhecido'
    end                                                                as sistema_operacional,
    pedido_carregado_em
from vistos
