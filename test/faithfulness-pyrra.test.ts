import { CASES, faithfulness } from './support/faithfulness.ts';

// The promtool proof that a Pyrra SLO imported into burnbook alerts when Pyrra says it should (support/faithfulness.ts).
faithfulness(CASES.find((c) => c.tool === 'Pyrra') as (typeof CASES)[number]);
