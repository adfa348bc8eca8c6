// The inbox's filters fold into a <details> so that a phone shows the conversations first; on a
// wider screen there is room for them, so they open. Without JavaScript they stay folded, their
// summary counts the filters that are set, and the form works the same.
const filters = document.querySelector("details.inbox-filters");
if (filters && window.matchMedia("(min-width: 801px)").matches) filters.open = true;
