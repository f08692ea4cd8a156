// Clearframe pages: live progress, drag-and-drop verification with upload progress, review shortcuts.
// Served from this origin under a strict Content-Security-Policy: no inline script, no eval, no network beyond it.
"use strict";

// --- live progress: an element with data-poll="URL" swaps in the server-rendered fragment at that URL -----------
function startPolling(element) {
  const url = element.dataset.poll;
  const interval = Number(element.dataset.pollInterval || 1000);
  async function tick() {
    let response;
    try {
      response = await fetch(url, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } });
    } catch (error) {
      setTimeout(tick, interval * 3);  // the server is restarting or the network blinked: try again later
      return;
    }
    if (!response.ok) { setTimeout(tick, interval * 3); return; }
    element.innerHTML = await response.text();  // server-rendered and escaped by the template engine
    if (response.headers.get("X-Poll-Done") === "1") {
      if (element.hasAttribute("data-reload-when-done")) window.location.reload();
      return;
    }
    setTimeout(tick, interval);
  }
  setTimeout(tick, interval);
}

// --- verify: drop a file, watch it upload, read the result card without leaving the page ----------------------
function setUpVerify(form) {
  const input = form.querySelector("input[type=file]");
  const zone = form.querySelector(".dropzone");
  const chosen = form.querySelector(".chosen");
  const bar = document.getElementById("upload-progress");
  const note = document.getElementById("upload-note");
  const target = document.getElementById("verify-result");

  function show(file) { chosen.textContent = file ? `${file.name} (${(file.size / 1e6).toFixed(1)} MB)` : ""; }
  input.addEventListener("change", () => show(input.files[0]));
  ["dragenter", "dragover"].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault(); zone.classList.add("over");
  }));
  ["dragleave", "drop"].forEach((name) => zone.addEventListener(name, (event) => {
    event.preventDefault(); zone.classList.remove("over");
  }));
  zone.addEventListener("drop", (event) => {
    if (!event.dataTransfer.files.length) return;
    input.files = event.dataTransfer.files;
    show(input.files[0]);
    form.requestSubmit();
  });
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); input.click(); }
  });

  form.addEventListener("submit", (event) => {
    if (!input.files.length) return;  // let the browser say the field is required
    event.preventDefault();
    const request = new XMLHttpRequest();
    request.open("POST", form.action);
    request.setRequestHeader("X-Requested-With", "fetch");
    bar.hidden = false; bar.value = 0; note.textContent = "Uploading…";
    request.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) { bar.value = Math.round((100 * e.loaded) / e.total); }
    });
    request.upload.addEventListener("load", () => { bar.value = 100; note.textContent = "Uploaded; checking the watermark, the manifest and the ledger…"; });
    request.addEventListener("load", () => {
      note.textContent = "";
      target.innerHTML = request.responseText;  // server-rendered result card
      const heading = target.querySelector("h2");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
    });
    request.addEventListener("error", () => { note.textContent = "The upload failed; check the connection and try again."; });
    request.send(new FormData(form));
  });
}

// --- review: j/k move between items, a approves, r goes to the rejection reason, ? shows the keys ---------------
function setUpReview(queue) {
  const items = () => Array.from(queue.querySelectorAll(".review-item"));
  let current = 0;
  function focusItem(index) {
    const all = items();
    if (!all.length) return;
    current = Math.max(0, Math.min(all.length - 1, index));
    all.forEach((item, i) => item.classList.toggle("current", i === current));
    all[current].focus();
  }
  queue.addEventListener("focusin", (event) => {
    const item = event.target.closest(".review-item");
    if (item) { current = items().indexOf(item); items().forEach((el, i) => el.classList.toggle("current", i === current)); }
  });
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    const tag = (event.target.tagName || "").toLowerCase();
    if (tag === "textarea" || tag === "input" || tag === "select") {
      if (event.key === "Escape") { event.target.blur(); focusItem(current); }
      return;
    }
    const item = items()[current];
    if (event.key === "j") { focusItem(current + 1); event.preventDefault(); }
    else if (event.key === "k") { focusItem(current - 1); event.preventDefault(); }
    else if (event.key === "a" && item) { item.querySelector("button[value=approve]").click(); event.preventDefault(); }
    else if (event.key === "r" && item) { item.querySelector("textarea[name=reason]").focus(); event.preventDefault(); }
    else if (event.key === "?") { const help = document.getElementById("shortcuts"); if (help) help.open = !help.open; }
  });
  if (items().length) items()[0].classList.add("current");
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-poll]").forEach(startPolling);
  const verify = document.getElementById("verify-form");
  if (verify) setUpVerify(verify);
  const queue = document.getElementById("review-queue");
  if (queue) setUpReview(queue);
});
