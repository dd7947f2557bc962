// What every browser test watches on a page, collected into `out`: console errors
// (`console_errors`), uncaught exceptions (`page_errors`), dialogs (`dialogs`: a script ran where
// text was meant, an alert() from markup, say) and Content-Security-Policy violations
// (`csp_violations`). `expected(message)` returns the name of another array of `out` for a
// console error the test provoked itself (chromium logs every 4xx answer to a fetch as an
// error), or null.
export async function watchedPage(browser, out, contextOptions, expected = () => null) {
  const context = await browser.newContext({ ignoreHTTPSErrors: true, ...contextOptions });
  const page = await context.newPage();
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    out[expected(message) ?? 'console_errors'].push(message.text());
  });
  page.on('pageerror', (error) => out.page_errors.push(String(error)));
  page.on('dialog', async (dialog) => { out.dialogs.push(dialog.message()); await dialog.dismiss(); });
  // A violation is reported to the page as an event (W3C CSP3 §5.3); the listener is installed
  // by the driver, before any of the page's own scripts.
  await page.exposeFunction('__signetCspViolation', (text) => out.csp_violations.push(text));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (event) =>
      window.__signetCspViolation(`${event.violatedDirective} ${event.blockedURI}`));
  });
  return { context, page };
}
