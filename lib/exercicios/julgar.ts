// Judges one answer: pending when the answer cell still holds its stub (no service touched, never
// throws), otherwise the exercise analyses it against the live platform and the verdict is ok, a
// catalogued mistake with its explanation, or a wrong answer with the exercise's generic message.
import { AINDA_NAO_RESPONDIDO, type QualquerExercicio, type Resultado } from "./tipos";

/** The verdict of `resposta` for `ex`, without recording it. */
export async function julgar(ex: QualquerExercicio, resposta: unknown): Promise<Resultado> {
  const base = { exercicio: ex.id, titulo: ex.titulo };
  if (ex.semResposta(resposta)) {
    const mensagem =
      ex.tipo === "prever"
        ? `${AINDA_NAO_RESPONDIDO}: escreva sua previsão na célula de resposta e rode de novo — o resultado só aparece depois que você se comprometer com uma resposta.`
        : `${AINDA_NAO_RESPONDIDO}: escreva sua resposta na célula acima e rode de novo esta célula. Se travar, peça uma dica: dica("${ex.id}").`;
    return { ...base, situacao: "pendente", mensagem };
  }
  return veredito(ex, await ex.analisar(resposta));
}

/** The verdict of an analysis: ok, the first catalogued mistake that recognises it, or the generic message. */
export function veredito(ex: QualquerExercicio, analise: unknown): Resultado {
  const base = { exercicio: ex.id, titulo: ex.titulo };
  if (ex.correto(analise)) return { ...base, situacao: "ok", mensagem: ex.parabens(analise) };
  const erro = ex.errosTipicos.find((e) => e.reconhece(analise));
  if (erro) return { ...base, situacao: "erro-conhecido", erro: erro.codigo, mensagem: erro.explicar(analise) };
  return { ...base, situacao: "erro", mensagem: ex.mensagemGenerica(analise) };
}
