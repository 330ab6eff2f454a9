// kefu's own page behaviour, loaded by base.html. Pages carry no inline script or
// on*= handler: the Content-Security-Policy allows scripts from kefu's origin only
// (kefu/settings.py KEFU_CSP, docs/configuration.md). Mark elements instead:
//   data-autosubmit   on a form control: submit its form when it changes
//   data-history-back on a link: go back one page
"use strict";

document.addEventListener("change", (event) => {
  const control = event.target;
  if (control instanceof Element && control.matches("[data-autosubmit]") && control.form) {
    control.form.submit();
  }
});

document.addEventListener("click", (event) => {
  const link = event.target instanceof Element ? event.target.closest("[data-history-back]") : null;
  if (link) {
    event.preventDefault();
    history.back();
  }
});
