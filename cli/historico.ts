// npm run historico -- --pedidos 50000 [--dias 180] [--seed 42] [--taxa-fraude 0.01] [--lote 5000]
import { gerarHistorico, type Progresso } from "../lib/geradores";
import { aCada, executar, fmt, lerArgumentos, numero, pararComSinal } from "./comum";

const USO = `Uso: npm run historico -- --pedidos N [--dias 180] [--seed N] [--taxa-fraude 0.01] [--lote 5000]

Gera N pedidos com datas nos últimos --dias dias, para as pessoas já cadastradas (não cria pessoas
nem produtos), com fraude injetada na taxa dada (padrão 1%).`;

executar(async () => {
  const a = lerArgumentos(
    {
      pedidos: { type: "string" },
      dias: { type: "string" },
      seed: { type: "string" },
      "taxa-fraude": { type: "string" },
      lote: { type: "string" },
    },
    USO,
  );
  const deveParar = pararComSinal();
  const mostrar = aCada<Progresso>(2000, (p) =>
    console.log(`${fmt(p.pedidos)} pedidos, ${fmt(p.itens)} itens, ${fmt(p.fraudes)} fraudes — ${fmt(p.pedidosPorSegundo)} pedidos/s`),
  );
  const r = await gerarHistorico({
    pedidos: numero("pedidos", a.pedidos, 10_000),
    dias: numero("dias", a.dias, 180),
    seed: a.seed === undefined ? undefined : numero("seed", a.seed, 0),
    taxaFraude: numero("taxa-fraude", a["taxa-fraude"], 0.01),
    lote: numero("lote", a.lote, 5000),
    deveParar,
    aoProgredir: mostrar,
  });
  console.log(
    `Histórico gerado: ${fmt(r.pedidos)} pedidos, ${fmt(r.itens)} itens, ${fmt(r.fraudes)} fraudes ` +
      `(${fmt((100 * r.fraudes) / Math.max(1, r.pedidos), 2)}%) em ${fmt(r.segundos, 1)} s — ${fmt(r.pedidosPorSegundo)} pedidos/s.`,
  );
});
