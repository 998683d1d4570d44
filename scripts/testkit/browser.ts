import { type Browser, chromium } from 'playwright-core';

/** Debian's chromium package. */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Launches the system chromium headless for real-browser tests (playwright-core ships no browser):
 * no sandbox (containers), no GPU, no background networking or component updates (tests run offline).
 * Lives outside test/ because Hardhat loads every file there as a test.
 *
 * @example
 * const browser = await launchBrowser();
 * const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
 * await page.goto(`${node.url}/dashboard/`);
 * await browser.close();
 */
export async function launchBrowser(options: { executablePath?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: options.executablePath ?? process.env.DHOST_CHROMIUM ?? CHROMIUM_PATH,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
  });
}
