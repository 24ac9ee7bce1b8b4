// 上传: send the chosen files in batches (data-batch-files files, data-batch-bytes bytes a request: each request is
// one intake run on the server, as `hudang ingest` is one), with one progress bar per file, each filled as the
// request's bytes pass that file. A folder's files carry their path inside the folder (a "paths" field per file),
// so form folders and 文件/项目/房号/ mean what they mean to `hudang ingest FOLDER`. The server answers each batch
// with its files' outcome rows (the same rows the page shows without this script). Every batch but the last says
// more=1: the server leaves its records for the last batch's index commit (one for the whole upload), so they are
// searchable once the last batch has answered.
// A scan is not read in its request (OCR takes seconds a page; the server's time-out would cut a long request):
// its row says 排队识别 (data-scan) and the script asks data-scans-url every few seconds what became of the
// queued scans, replacing each row by its outcome rows once it has been read.
// No inline script: the CSP forbids it.
(function () {
  "use strict";
  var form = document.getElementById("upload-form");
  if (!form || !window.XMLHttpRequest || !window.FormData) { return; }
  var limit = parseInt(form.getAttribute("data-limit"), 10);
  var limitMb = form.getAttribute("data-limit-mb");
  var batchFiles = parseInt(form.getAttribute("data-batch-files"), 10) || 50;
  var batchBytes = parseInt(form.getAttribute("data-batch-bytes"), 10) || limit;
  var body = document.getElementById("outcomes");
  var list = document.getElementById("progress");
  var token = form.querySelector("input[name=csrfmiddlewaretoken]").value;

  function item(file) {
    var li = document.createElement("li");
    var name = document.createElement("span");
    name.textContent = (file.webkitRelativePath || file.name) + " ";
    var bar = document.createElement("progress");
    bar.max = 100; bar.value = 0;
    var note = document.createElement("span");
    note.className = "muted small";
    li.appendChild(name); li.appendChild(bar); li.appendChild(note);
    list.appendChild(li);
    return { bar: bar, note: note };
  }

  var scansUrl = form.getAttribute("data-scans-url");
  var polling = null;

  function addRows(html) {
    var none = document.getElementById("no-outcomes");
    if (none) { none.parentNode.removeChild(none); }
    body.insertAdjacentHTML("beforeend", html);
    watchScans();
  }

  // Queued scans: ask every 4 s until none is left; a read scan's rows replace its 排队识别 row (the file's
  // name as the page showed it kept).
  function watchScans() {
    if (polling || !scansUrl || !body.querySelector("tr[data-scan]")) { return; }
    polling = window.setTimeout(function () {
      polling = null;
      var ids = Array.prototype.map.call(body.querySelectorAll("tr[data-scan]"), function (tr) {
        return "scan=" + encodeURIComponent(tr.getAttribute("data-scan"));
      });
      if (!ids.length) { return; }
      var xhr = new XMLHttpRequest();
      xhr.open("GET", scansUrl + "?" + ids.join("&"));
      xhr.onload = function () {
        if (xhr.status === 200) {
          var holder = document.createElement("tbody");
          holder.innerHTML = xhr.responseText;
          Array.prototype.forEach.call(holder.querySelectorAll("tr[data-was]"), function (tr) {
            var old = body.querySelector("tr[data-scan='" + tr.getAttribute("data-was") + "']");
            if (!old) { return; }
            var name = old.querySelector("td.name"), mine = tr.querySelector("td.name");
            if (name && mine) { mine.textContent = name.textContent; }
            old.parentNode.insertBefore(tr, old);
            old.setAttribute("data-replaced", "1");
          });
          Array.prototype.forEach.call(body.querySelectorAll("tr[data-replaced]"), function (tr) {
            tr.parentNode.removeChild(tr);
          });
        }
        watchScans();
      };
      xhr.onerror = function () { watchScans(); };
      xhr.send();
    }, 4000);
  }

  // Files in order, cut into requests of at most batchFiles files and batchBytes bytes (a larger file alone);
  // a file over the upload limit is not sent at all.
  function batches(entries) {
    var out = [], current = [], bytes = 0;
    entries.forEach(function (e) {
      if (e.file.size > limit) {
        e.ui.note.textContent = "超过上传上限 " + limitMb + " MB，未上传";
        e.ui.note.className = "error small";
        return;
      }
      if (current.length && (current.length >= batchFiles || bytes + e.file.size > batchBytes)) {
        out.push(current); current = []; bytes = 0;
      }
      current.push(e); bytes += e.file.size;
    });
    if (current.length) { out.push(current); }
    return out;
  }

  function finish(batch, text, bad) {
    batch.forEach(function (e) {
      e.ui.bar.value = 100;
      e.ui.note.textContent = text;
      if (bad) { e.ui.note.className = "error small"; }
    });
  }

  function send(queue) {
    if (!queue.length) { return; }
    var batch = queue.shift();
    var data = new FormData();
    data.append("csrfmiddlewaretoken", token);
    data.append("js", "1");
    if (queue.length) { data.append("more", "1"); }
    var total = 0;
    batch.forEach(function (e) {
      data.append("files", e.file, e.file.name);
      data.append("paths", e.file.webkitRelativePath || "");
      e.start = total;
      total += e.file.size;
    });
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-CSRFToken", token);
    xhr.upload.onprogress = function (ev) {
      if (!ev.lengthComputable || !ev.total) { return; }
      var sent = total * ev.loaded / ev.total;   // the files' share of the bytes sent so far
      batch.forEach(function (e) {
        var size = e.file.size || 1;
        e.ui.bar.value = Math.max(0, Math.min(99, Math.round(100 * (sent - e.start) / size)));
      });
    };
    xhr.onload = function () {
      if (xhr.status === 200 || xhr.status === 400) {
        addRows(xhr.responseText);
        finish(batch, "完成", false);
      } else {
        finish(batch, "上传失败（" + xhr.status + "）", true);
      }
      send(queue);
    };
    xhr.onerror = function () {
      finish(batch, "上传失败（网络）", true);
      send(queue);
    };
    batch.forEach(function (e) { e.ui.note.textContent = "上传中…"; });
    xhr.send(data);
  }

  form.addEventListener("submit", function (e) {
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files, function (f) { files.push(f); });
    });
    if (!files.length) { return; }   // the server says 没有选择任何文件
    e.preventDefault();
    list.innerHTML = "";
    send(batches(files.map(function (f) { return { file: f, ui: item(f) }; })));
    form.reset();
  });
}());
