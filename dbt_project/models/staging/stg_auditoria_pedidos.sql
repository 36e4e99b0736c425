select
    id_pedido,
    dispositivo,
    geohash,
    telefone,
    created_at as criado_em,
    updated_at as atualizado_em
from {{ source('oltp', 'auditoria_pedidos') }}
