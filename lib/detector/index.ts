// Real-time fraud detection on the CDC stream (lesson 04b): the course's two rules applied to
// every new order as Debezium publishes it, one alert per suspicious order in Kafka.
//
// Pieces, from pure to I/O, one module each:
//   regras.ts    avaliarRegras: the rules on one order's facts and the person's history (pure).
//   estado.ts    EstadoDispositivos: per person, the earliest sale instant overall and per device.
//   motor.ts     MotorDeDeteccao: joins the two halves of an order (pedidos carries the person and
//                the instant, auditoria_pedidos the device and the geohash; same transaction,
//                different topics and partitions, any arrival order), keeps the state current,
//                decides when an order can be judged and which Kafka offsets are safe to commit.
//                Pure, in memory.
//   alertas.ts   the alert message and its compacted topic.
//   banco.ts     the PostgreSQL side: the detector's tables, the device history, orders read back.
//   grupo.ts     the consumer group: positioned at the end when new, one detector per group.
//   execucao.ts  executarDetector: Kafka consumer group + producer + PostgreSQL around the engine.
//   medida.ts    precision and recall against the answer key; reading the alerts back.
//
// Design decisions (the notebook 04b explains them to the student):
//
// * Same semantics as lib/fraude.ts auditarRotulos. "dispositivo": the person has an order
//   strictly earlier than this one (dt_venda) and no strictly earlier order with this device;
//   "local": the geohash is outside SP/MG/RJ (lib/geo localPermitido). The state keeps, per
//   person, MIN(dt_venda) overall and per device — both are order-independent and idempotent
//   (a min absorbs the same order twice, and later orders never change whether an earlier one
//   broke the rule). So an order can be judged against a state that already contains it, or
//   even later orders, with exactly the SQL audit's answer.
//
// * Bootstrap and stream overlap. At start the state is loaded ONCE from the database (every
//   order), in a REPEATABLE READ transaction whose snapshot is also recorded. Because the state
//   is a set of minimums, an order present both in the bootstrap and in the stream is applied
//   twice with no effect: there is no double counting to avoid. Which orders are JUDGED is
//   decided by Kafka offsets, not by the bootstrap: every insert ('c') consumed by the group is
//   judged; snapshot rows ('r') are orders that already existed and are never judged. A group
//   that has never committed is first positioned at the current end of the topics — before
//   the bootstrap, so an order committed in between is both in the state and judged, and none
//   falls in a gap. A restarted group resumes from its committed offsets; the orders committed
//   while it was down are in the new bootstrap and are judged again or for the first time —
//   the same answer either way. (Kafka forgets the offsets of a group left empty for 7 days:
//   such a group starts at the end again, like a new one.)
//
// * When an order is judged. Its rule needs every earlier order of the same person in the
//   state. Orders of a transaction visible in the bootstrap snapshot satisfy this by
//   construction (anything committed before them is in the snapshot too). For a transaction
//   committed later, an order waits until (a) every earlier pedidos row of its transaction has
//   arrived (Debezium's transaction.data_collection_order counts 1, 2, … per table within a
//   transaction, source.txId, while the rows are spread over partitions by key) and (b) no
//   known order of the same person with an earlier dt_venda is still missing its audit half.
//   Earlier TRANSACTIONS may not have reached the consumer yet: Debezium emits in commit
//   order, but Kafka keeps no order across partitions. They are committed, though, so just
//   before judging, the history of the people being judged is read again from the database
//   and merged (minimums again) — only for orders whose verdict more history could change: a
//   device already seen in use before the order can only stay "seen". A safety net judges any
//   complete order after ESPERA_MAXIMA_MS anyway (counted in julgadosPorTempo).
//
// * Halves that will never meet. When a group resumes (or a new group starts at the end of the
//   topics) in the middle of an order's events, one half can lie before the offsets and never
//   come again. Such an order is in a transaction visible in the bootstrap snapshot, so it is in
//   the database: its missing half is read from there (also, as a safety net, for any half
//   waiting longer than ESPERA_MAXIMA_MS). Without this, the orphan would hold its partition's
//   committed offset back forever.
//
// * Bounded buffer. At most maxPendentes half-joined or waiting orders are held (default
//   100 000 ≈ a few minutes of the generator at full speed); past that the oldest is dropped,
//   counted in `descartados` and never judged (its offsets are released, so the group moves on).
//
// * At-least-once, idempotent alerts. Offsets are committed manually, per partition, only up
//   to the first message whose order is still in the buffer, and only after the alerts of the
//   judged orders were acknowledged by Kafka (acks=all) and written to deteccao.alertas.
//   A crash replays from the last commit: the same order gives the same alert with the same
//   key (id_pedido) in a compacted topic, and ON CONFLICT DO NOTHING in the table.
//
// * One detector per consumer group (checked at start): the two topics are not co-partitioned,
//   so two members would each hold halves the other needs (scaling out would first re-key
//   both streams by id_pedido into co-partitioned topics).
//
// * Updates and deletes of orders and audit rows are ignored (the store is insert-only);
//   tombstones and other tables too.
export * from "./regras";
export * from "./estado";
export * from "./motor";
export * from "./alertas";
export { carregarEstadoInicial, garantirTabelasDeteccao, historicoDoBanco } from "./banco";
export { GRUPO_PADRAO, posicionarGrupoNoFim } from "./grupo";
export * from "./execucao";
export * from "./medida";
