import { CASES, faithfulness } from './support/faithfulness.ts';

// The promtool proof that a OpenSLO SLO imported into burnbook alerts when OpenSLO says it should (support/faithfulness.ts).
faithfulness(CASES.find((c) => c.tool === 'OpenSLO') as (typeof CASES)[number]);
