// npm run streaming -- [--ticks N | --duracao 30s] [--intervalo 5s] [--pessoas-por-tick 10] [--pedidos-por-tick 10] [--taxa-fraude 0.05] [--seed N]
import { gerarStreaming, type Progresso } from "../lib/geradores";
import { executar, fmt, duracao, lerArgumentos, numero, pararComSinal } from "./comum";

const USO = `Uso: npm run streaming -- [--ticks N | --duracao 30s] [--intervalo 5s] [--pessoas-por-tick 10]
                           [--pedidos-por-tick 10] [--taxa-fraude 0.05] [--seed N]

A cada tick (padrão: 5 s) cadastra pessoas novas e registra pedidos com data de agora, com fraude
injetada (padrão 5%). Sem --ticks nem --duracao, roda até Ctrl+C — que para depois da transação
em andamento, sem deixar pedido pela metade.`;

executar(async () => {
  const a = lerArgumentos(
    {
      ticks: { type: "string" },
      duracao: { type: "string" },
      intervalo: { type: "string" },
      "pessoas-por-tick": { type: "string" },
      "pedidos-por-tick": { type: "string" },
      "taxa-fraude": { type: "string" },
      seed: { type: "string" },
    },
    USO,
  );
  const deveParar = pararComSinal();
  const r = await gerarStreaming({
    ticks: a.ticks === undefined ? undefined : numero("ticks", a.ticks, 0),
    duracaoMs: duracao("duracao", a.duracao),
    intervaloMs: duracao("intervalo", a.intervalo) ?? 5000,
    pessoasPorTick: numero("pessoas-por-tick", a["pessoas-por-tick"], 10),
    pedidosPorTick: numero("pedidos-por-tick", a["pedidos-por-tick"], 10),
    taxaFraude: numero("taxa-fraude", a["taxa-fraude"], 0.05),
    seed: a.seed === undefined ? undefined : numero("seed", a.seed, 0),
    deveParar,
    aoProgredir: (p: Progresso) =>
      console.log(
        `+${fmt(p.pessoasNovas)} pessoas, ${fmt(p.pedidos)} pedidos (${fmt(p.fraudes)} fraudes) — ${fmt(p.pedidosPorSegundo, 1)} pedidos/s`,
      ),
  });
  console.log(
    `Streaming encerrado: ${fmt(r.pessoasNovas)} pessoas novas, ${fmt(r.pedidos)} pedidos, ${fmt(r.fraudes)} fraudes em ${fmt(r.segundos, 1)} s.`,
  );
});
