// Inside the frame /embed.js opens: tell the embedding page how tall the content is, so the
// frame fits it without a scrollbar. Only a number crosses: the page checks our origin.
if (window.parent !== window) {
  let last = 0;
  const post = () => {
    const height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) return;
    last = height;
    window.parent.postMessage({ stoop: "height", height }, "*");
  };
  new ResizeObserver(post).observe(document.documentElement);
  window.addEventListener("load", post);
  post();
}
