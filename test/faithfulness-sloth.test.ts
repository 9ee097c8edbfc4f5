import { CASES, faithfulness } from './support/faithfulness.ts';

// The promtool proof that a Sloth SLO imported into burnbook alerts when Sloth says it should (support/faithfulness.ts).
faithfulness(CASES.find((c) => c.tool === 'Sloth') as (typeof CASES)[number]);
