/**
 * A PDF drawn page by page on canvases with pdf.js (bundled, its worker served from this
 * origin): phones do not show PDFs inside a page, and a drawn page looks the same
 * everywhere. pdf.js is loaded only when a page first shows a PDF. A download link offers
 * the exact bytes.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useI18n } from '../i18n';
import { Busy } from './ui';

type PdfJs = typeof import('pdfjs-dist');
let pdfjs: Promise<PdfJs> | undefined;

function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= Promise.all([import('pdfjs-dist'), import('pdfjs-dist/build/pdf.worker.min.mjs?url')]).then(
    ([lib, worker]) => {
      lib.GlobalWorkerOptions.workerSrc = worker.default;
      return lib;
    },
  );
  return pdfjs;
}

interface PdfViewProps {
  /** The bytes, or null when there is nothing to show yet. */
  bytes: ArrayBuffer | null;
  /** Names the document for screen readers ("Trang 1/2 của …"). */
  title: string;
  /** File name of the download link; no link when omitted. */
  downloadName?: string;
  /** Shown over the pages while newer bytes are on their way. */
  updating?: boolean;
}

export function PdfView({ bytes, title, downloadName, updating }: PdfViewProps) {
  const { t } = useI18n();
  const host = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<{ pages: number; drawing: boolean; error?: string }>({
    pages: 0,
    drawing: false,
  });
  const [url, setUrl] = useState<string | undefined>();

  useEffect(() => {
    if (!bytes || !downloadName) return;
    const link = URL.createObjectURL(new Blob([bytes], { type: 'application/pdf' }));
    setUrl(link);
    return () => URL.revokeObjectURL(link);
  }, [bytes, downloadName]);

  useEffect(() => {
    if (!bytes || !host.current) return;
    let cancelled = false;
    const target = host.current;
    setState((s) => ({ ...s, drawing: true, error: undefined }));
    (async () => {
      const lib = await loadPdfJs();
      // pdf.js takes ownership of the buffer it is given: hand it a copy.
      const document = await lib.getDocument({ data: new Uint8Array(bytes.slice(0)), isEvalSupported: false })
        .promise;
      const canvases: HTMLCanvasElement[] = [];
      const width = Math.max(280, target.clientWidth || 600);
      const ratio = Math.min(window.devicePixelRatio || 1, 2);
      for (let n = 1; n <= document.numPages; n++) {
        const page = await document.getPage(n);
        const base = page.getViewport({ scale: 1 });
        const viewport = page.getViewport({ scale: (width / base.width) * ratio });
        const canvas = window.document.createElement('canvas');
        canvas.width = Math.floor(viewport.width);
        canvas.height = Math.floor(viewport.height);
        canvas.className = 'pdf-page';
        canvas.setAttribute('role', 'img');
        canvas.setAttribute('aria-label', `${t('page', { n, total: document.numPages })} — ${title}`);
        await page.render({ canvas, viewport }).promise;
        if (cancelled) break;
        canvases.push(canvas);
      }
      await document.destroy();
      if (cancelled) return;
      target.replaceChildren(...canvases);
      setState({ pages: canvases.length, drawing: false });
    })().catch((error: unknown) => {
      if (!cancelled)
        setState({ pages: 0, drawing: false, error: error instanceof Error ? error.message : String(error) });
    });
    return () => {
      cancelled = true;
    };
  }, [bytes, title, t]);

  return (
    <div class="pdf-view" aria-busy={state.drawing || updating ? 'true' : 'false'}>
      {state.drawing || updating ? (
        <Busy label={updating ? t('previewUpdating') : t('renderingPdf')} />
      ) : null}
      {state.error ? (
        <p class="error-text" role="alert">
          {state.error}
        </p>
      ) : null}
      <div class={`pdf-pages${updating ? ' stale' : ''}`} ref={host} data-pages={state.pages} />
      {url && downloadName ? (
        <p>
          <a class="button secondary" href={url} download={downloadName}>
            {t('downloadPdf')}
          </a>
        </p>
      ) : null}
    </div>
  );
}
