// Progressive enhancement only: every page reads and works without it.
for (const el of document.querySelectorAll('[data-js-only]')) el.hidden = false;

async function copyText(source) {
  try {
    await navigator.clipboard.writeText(source.textContent);
    return true;
  } catch {
    // The Clipboard API needs https or localhost; plain http inside a company network falls back to a selection.
    const range = document.createRange();
    range.selectNodeContents(source);
    const selection = getSelection();
    selection.removeAllRanges();
    selection.addRange(range);
    return document.execCommand('copy');
  }
}

document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  const source = button && document.getElementById(button.dataset.copy);
  if (!source) return;
  const ok = await copyText(source);
  button.textContent = ok ? 'Copied' : 'Press Ctrl+C';
  setTimeout(() => {
    button.textContent = 'Copy';
  }, 1500);
});

const filter = document.querySelector('input[data-filter]');
if (filter) {
  const items = document.querySelectorAll(filter.dataset.filter);
  const count = document.querySelector('[data-filter-count]');
  // The static export has no server to filter by ?q=, so the query is read here too.
  if (!filter.value) filter.value = new URLSearchParams(location.search).get('q') ?? '';
  const apply = () => {
    const words = filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    let shown = 0;
    for (const item of items) {
      item.hidden = !words.every((w) => item.dataset.name.includes(w));
      if (!item.hidden) shown++;
    }
    if (count) count.textContent = `${shown} of ${items.length}`;
  };
  filter.addEventListener('input', apply);
  apply();
}

// Auto-refresh, on by default and remembered per browser; never while printing (the toggle is hidden in print).
const refresh = document.querySelector('input[data-auto-refresh]');
if (refresh) {
  const KEY = 'burnbook.autoRefresh';
  const remembered = () => {
    try {
      return localStorage.getItem(KEY);
    } catch {
      return null;
    }
  };
  refresh.checked = remembered() !== 'off';
  const printing = matchMedia('print');
  let timer;
  const schedule = () => {
    clearTimeout(timer);
    if (refresh.checked && !printing.matches) {
      timer = setTimeout(() => location.reload(), Number(refresh.dataset.autoRefresh) * 1000);
    }
  };
  refresh.addEventListener('change', () => {
    try {
      localStorage.setItem(KEY, refresh.checked ? 'on' : 'off');
    } catch {
      // Storage refused (private mode): the choice holds for this page only.
    }
    schedule();
  });
  printing.addEventListener('change', schedule);
  addEventListener('beforeprint', () => clearTimeout(timer));
  addEventListener('afterprint', schedule);
  schedule();
}
