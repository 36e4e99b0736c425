// The catalogue of exercises, in course order, and the lessons they belong to.
import { ErroDeUso } from "../erros";
import { exercicio001 } from "./aula00";
import { exercicio011, exercicio012 } from "./aula01";
import { exercicio013 } from "./aula01-psql";
import { exercicio014 } from "./aula01-restricao";
import type { QualquerExercicio } from "./tipos";

/** Lesson number → title, as the notebooks name them. */
export const AULAS: Record<string, string> = {
  "00": "Subindo a plataforma",
  "01": "Modelagem OLTP",
  "02": "Histórico com fraude",
  "03": "Streaming",
  "04": "CDC",
  "04b": "Detecção em tempo real",
  "05": "DW com dbt",
  "06": "Lakehouse com Delta Lake",
};

export const EXERCICIOS: readonly QualquerExercicio[] = [exercicio001, exercicio011, exercicio012, exercicio013, exercicio014];

/** The exercise `id`, or an ErroDeUso listing the ids that exist. */
export function exercicio(id: string): QualquerExercicio {
  const ex = EXERCICIOS.find((e) => e.id === id);
  if (!ex) throw new ErroDeUso(`Exercício "${id}" não existe. Os exercícios são: ${EXERCICIOS.map((e) => e.id).join(", ")}.`);
  return ex;
}
