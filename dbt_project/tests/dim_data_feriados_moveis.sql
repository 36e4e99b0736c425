-- The movable holidays computed from Easter land on known dates (Easter Sunday: 2000-04-23,
-- 2019-04-21, 2024-03-31, 2025-04-20, 2026-04-05, 2027-03-28, 2030-04-21). Only the years the
-- dimension covers are checked. Returns the expected holidays that are missing.
with esperados (data, nome) as (
    values
    (date '2000-04-21', 'Sexta-feira Santa'),
    (date '2019-03-05', 'Carnaval (terça-feira)'),
    (date '2024-02-13', 'Carnaval (terça-feira)'),
    (date '2024-03-29', 'Sexta-feira Santa'),
    (date '2024-05-30', 'Corpus Christi'),
    (date '2025-03-03', 'Carnaval (segunda-feira)'),
    (date '2025-03-04', 'Carnaval (terça-feira)'),
    (date '2025-04-18', 'Sexta-feira Santa'),
    (date '2025-06-19', 'Corpus Christi'),
    (date '2026-02-16', 'Carnaval (segunda-feira)'),
    (date '2026-02-17', 'Carnaval (terça-feira)'),
    (date '2026-04-03', 'Sexta-feira Santa'),
    (date '2026-06-04', 'Corpus Christi'),
    (date '2027-02-09', 'Carnaval (terça-feira)'),
    (date '2027-03-26', 'Sexta-feira Santa'),
    (date '2027-05-27', 'Corpus Christi'),
    (date '2030-04-19', 'Sexta-feira Santa')
)

select
    e.data,
    e.nome,
    d.nome_feriado
from esperados as e
inner join {{ ref('dim_data') }} as d on d.data = e.data
where d.nome_feriado is null or position(e.nome in d.nome_feriado) = 0
