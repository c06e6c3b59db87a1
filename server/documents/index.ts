// Documents: PDF rendering (CJK), certificate page, sealing and verification. Bytes in, bytes
// out: nothing here imports the database, the modules or Fastify.
//
// Typical use (the agreement service, after the last signature is committed):
//   const cert = await loadOrCreatePlatformCertificate({ dir, p12Path, p12Passphrase }); // once at start
//   const seal = { reason: '调解协议电子签章', location: centerName, name: 'Haiqiao 海桥 云调解平台', signingTime: now };
//   const sealed = await sealPdf(await renderAgreementPdf(input, { seal }), cert, seal);
//   inspectSignedPdf(sealed) // { signed, intact, coversWholeFile, certificateFingerprintSha256, signingTime }
export { renderAgreementPdf, type AgreementDocumentInput, type AgreementFact, type AgreementSignatureEvidence, type RenderAgreementOptions } from './agreement-pdf';
export { renderRulingPdf, type RulingApplicant, type RulingDocumentInput, type RenderRulingOptions } from './ruling-pdf';
export { loadOrCreatePlatformCertificate, PlatformCertificateError, type PlatformCertificate, type PlatformCertificateOptions } from './platform-certificate';
export { addSealPlaceholder, sealPdf, SealError, type SealOptions, type SealingCertificate } from './seal-pdf';
export { inspectSignedPdf, type SignedPdfInspection } from './verify-pdf';
export { loadCjkFonts, MissingFontError, FONT_CANDIDATES } from './fonts';
export { DocumentInputError } from './format';
