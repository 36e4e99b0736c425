-- Where the gabarito labels an order 'local', the location rule fires (local_fora). True by
-- construction: the generators draw a location fraud's geohash outside SP/MG/RJ
-- (lib/planejador.ts), and dim_local classifies it with the same rule as lib/geo.ts.
-- Returns the labelled items whose rule does not fire (in `dbt build`, among the rows it wrote).
select
    id_pedido,
    id_produto,
    geohash,
    local_fora
from {{ ref('fato_itens_pedido') }}
where
    fraude_rotulada = 'local'
    and local_fora is not true
    and {{ apenas_carga_atual() }}
