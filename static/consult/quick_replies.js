/* The doctor's quick replies: a click puts the reply's text into the message box at the
   cursor, without leaving the page. Without JavaScript the link reloads the conversation
   with the text in the box (?quick=<id>), so this only saves the reload. */
document.addEventListener("click", (event) => {
  const link = event.target.closest("a[data-quick-reply]");
  const box = document.getElementById("id_text");
  if (!link || !box) return;
  event.preventDefault();
  const start = box.selectionStart ?? box.value.length;
  const end = box.selectionEnd ?? box.value.length;
  box.setRangeText(link.dataset.quickReply, start, end, "end");
  box.focus();
});
