select
    id_pedido,
    tipo as tipo_fraude,
    injetado_em
from {{ source('oltp_gabarito', 'rotulos_fraude') }}
