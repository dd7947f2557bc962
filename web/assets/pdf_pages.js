// A PDF's pages drawn into canvases by pdf.js, as Debian ships it (libjs-pdf, embedded by
// web/CMakeLists.txt at /assets/pdfjs/). The page's Content-Security-Policy allows no eval:
// `isEvalSupported: false` makes pdf.js interpret fonts and PostScript functions instead of
// compiling them with new Function. The worker is our own file ('self'), nothing is fetched
// from elsewhere.
const workerSource = '/assets/pdfjs/pdf.worker.js';

// Renders every page of `bytes` (a Uint8Array) into `container`, each canvas labelled by
// `label(n, count)` (n and count kept in its data-n and data-count, to label it again in another
// language); resolves to the number of pages.
export async function renderPdfPages(container, bytes, label) {
  const pdfjs = globalThis.pdfjsLib;
  if (!pdfjs) throw new Error('pdf.js is not loaded');
  pdfjs.GlobalWorkerOptions.workerSrc = workerSource;
  const pdf = await pdfjs.getDocument({
    data: bytes,
    isEvalSupported: false,
    disableRange: true,
    disableStream: true,
    disableAutoFetch: true,
  }).promise;
  try {
    const width = Math.max(container.clientWidth, 280);
    const ratio = window.devicePixelRatio || 1;
    for (let n = 1; n <= pdf.numPages; n += 1) {
      const page = await pdf.getPage(n);
      const scale = width / page.getViewport({ scale: 1 }).width;
      const viewport = page.getViewport({ scale: scale * ratio });
      const canvas = document.createElement('canvas');
      canvas.className = 'pdf-page';
      canvas.width = Math.floor(viewport.width);
      canvas.height = Math.floor(viewport.height);
      canvas.setAttribute('role', 'img');
      canvas.dataset.n = String(n);
      canvas.dataset.count = String(pdf.numPages);
      canvas.setAttribute('aria-label', label(n, pdf.numPages));
      container.append(canvas);
      await page.render({ canvasContext: canvas.getContext('2d'), viewport }).promise;
    }
    return pdf.numPages;
  } finally {
    await pdf.destroy();
  }
}
