// Keeps the render progress bars of a creative page current by polling its jobs.json.
(function () {
  "use strict";
  const table = document.getElementById("renders");
  if (!table) return;
  const url = table.dataset.url;
  let timer = null;

  function update(job) {
    const row = table.querySelector('tr[data-job="' + job.id + '"]');
    if (!row) return false;
    const bar = row.querySelector("progress");
    bar.value = job.progress;
    bar.textContent = job.progress + " %";
    row.querySelector(".percent").textContent = job.progress + " %";
    const status = row.querySelector(".status");
    status.textContent = job.status + (job.error ? ": " + job.error : "");
    if (job.asset_sha256 && !row.querySelector(".result a")) {
      const link = document.createElement("a");
      link.href = "/media/" + job.asset_sha256 + "/file";
      link.textContent = "video";
      row.querySelector(".result").appendChild(link);
    }
    return true;
  }

  async function poll() {
    try {
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) return;
      const body = await response.json();
      let pending = false;
      for (const job of body.items) {
        if (!update(job)) { window.location.reload(); return; }
        if (job.status === "queued" || job.status === "running") pending = true;
      }
      if (!pending) { clearInterval(timer); }
    } catch (err) {
      // The next tick tries again; a dropped connection must not stop the bars.
    }
  }

  timer = setInterval(poll, 1000);
  poll();
})();
