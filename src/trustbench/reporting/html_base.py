"""Shared pieces of the static pages: CSS, the sorting/filter script, escaping helpers."""

from __future__ import annotations

from html import escape

CSS = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:24px;color:#1d232a}
h1{font-size:1.5em;margin-bottom:4px}h2{font-size:1.2em;margin-top:28px;border-bottom:1px solid #ddd}
.meta{color:#555;font-size:.9em}
table{border-collapse:collapse;font-size:.85em;margin:8px 0}
th,td{border:1px solid #d6dbe0;padding:4px 8px;text-align:right;white-space:nowrap}
th{background:#eef2f6;position:sticky;top:0}
table.sortable th{cursor:pointer}table.sortable th:hover{background:#dde5ee}
th[aria-sort=ascending]::after{content:' \\25B2'}th[aria-sort=descending]::after{content:' \\25BC'}
td.label,th.label{text-align:left}
td.wrap{white-space:normal;min-width:320px}
.tie{color:#8a5a00;font-weight:600}.ok{color:#1e7d32}.bad{color:#b71c1c}
.scroll{overflow-x:auto;max-width:100%}
.plots{display:flex;flex-wrap:wrap;gap:16px}.plots figure{margin:0}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px;margin:4px 0}
.fail{background:#fdecea;border-left:4px solid #c62828;padding:6px 10px;margin:4px 0}
.small{font-size:.8em;color:#555}
code{background:#f3f3f3;padding:0 3px}
"""

SCRIPT = """
(function(){
  function key(td){var v=td.getAttribute('data-sort');if(v===null)v=td.textContent;
    var n=parseFloat(v);return (v!==''&&!isNaN(n)&&isFinite(v))?{n:n}:{s:v};}
  function cmp(a,b){if(a.n!==undefined&&b.n!==undefined)return a.n-b.n;
    if(a.n!==undefined)return -1;if(b.n!==undefined)return 1;return a.s<b.s?-1:a.s>b.s?1:0;}
  document.querySelectorAll('table.sortable').forEach(function(table){
    var heads=table.tHead.rows[0].cells;
    Array.prototype.forEach.call(heads,function(th,col){
      th.addEventListener('click',function(){
        var asc=th.getAttribute('aria-sort')!=='ascending';
        Array.prototype.forEach.call(heads,function(h){h.removeAttribute('aria-sort');});
        th.setAttribute('aria-sort',asc?'ascending':'descending');
        var body=table.tBodies[0];var rows=Array.prototype.slice.call(body.rows);
        var keyed=rows.map(function(r,i){return {r:r,i:i,k:key(r.cells[col])};});
        keyed.sort(function(a,b){var missingA=a.k.s==='\\u2014',missingB=b.k.s==='\\u2014';
          if(missingA!==missingB)return missingA?1:-1;
          var c=cmp(a.k,b.k);return (asc?c:-c)||a.i-b.i;});
        keyed.forEach(function(x){body.appendChild(x.r);});
      });
    });
  });
  var select=document.getElementById('family');
  if(select){var apply=function(){var f=select.value;
    document.querySelectorAll('#metrics [data-family]').forEach(function(c){
      var show=f==='ranking'?c.hasAttribute('data-ranking'):c.getAttribute('data-family')===f;
      c.style.display=show?'':'none';});};
    select.addEventListener('change',apply);apply();}
})();
"""


def e(text: object) -> str:
    """HTML-escape anything (quotes included)."""
    return escape(str(text), quote=True)


def page(title: str, body: str, script: str = "") -> str:
    """One self-contained HTML document (inline CSS and script, no external resources)."""
    js = f"<script>{script}</script>" if script else ""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title><style>{CSS}</style></head>\n<body>\n{body}\n{js}\n"
        "</body></html>\n"
    )
