// Run by agreement-pdf.test.ts in a separate process: prints the SHA-256 of the sample agreement
// and ruling (unsigned), to show that the output does not depend on process state.
import { createHash } from 'node:crypto';
import { renderAgreementPdf } from '../../../server/documents/agreement-pdf.ts';
import { renderRulingPdf } from '../../../server/documents/ruling-pdf.ts';
import { agreementInput, rulingInput } from './fixtures.ts';

const agreement = await renderAgreementPdf(agreementInput());
const ruling = await renderRulingPdf(rulingInput());
const digest = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');
process.stdout.write(`${JSON.stringify({ agreement: digest(agreement), ruling: digest(ruling) })}\n`);
