// The conversation's live updates over the consult WebSocket (ws/consult/<id>/).
// The page's session authenticates the socket (the browser sends the cookie and its
// Origin). While the socket is ready the htmx poll pauses; a message, recall or status
// frame makes the poller fetch the messages after the last one shown (the same fragment
// the poll uses), a recall also marks the message in place. If the socket cannot open
// or closes, the poll every few seconds carries on as before. No framework.
(function () {
  "use strict";
  var poller = document.getElementById("poller");
  if (!poller || !window.WebSocket || !poller.dataset.socket) {
    return;
  }
  var list = document.getElementById("messages");
  var url =
    (location.protocol === "https:" ? "wss://" : "ws://") +
    location.host +
    poller.dataset.socket;
  var retries = 0;

  function fetchNew() {
    if (window.htmx) {
      window.htmx.trigger(document.body, "consult-live");
    }
  }

  function markRecalled(id) {
    var item = document.getElementById("m-" + id);
    if (!item) {
      return;
    }
    var shown = item.querySelector(".msg-text, .msg-image");
    var note = document.createElement("p");
    note.className = "msg-text recalled";
    note.textContent = list.dataset.recalled || "";
    if (shown) {
      shown.replaceWith(note);
    }
    var recall = item.querySelector(".msg-recall");
    if (recall) {
      recall.remove();
    }
  }

  function open() {
    var socket;
    try {
      socket = new WebSocket(url);
    } catch (error) {
      window.consultLive = false;
      return;
    }
    socket.onmessage = function (event) {
      var frame;
      try {
        frame = JSON.parse(event.data);
      } catch (error) {
        return;
      }
      if (frame.type === "ready") {
        window.consultLive = true; // the poll pauses
        retries = 0;
        fetchNew(); // anything sent while the socket was opening
      } else if (frame.type === "message" || frame.type === "consult") {
        fetchNew();
      } else if (frame.type === "recalled") {
        markRecalled(frame.message_id);
      }
    };
    socket.onclose = function (event) {
      window.consultLive = false; // back to the poll
      // 4401/4404: this page may not listen; otherwise try again a few times.
      if (event.code !== 4401 && event.code !== 4404 && retries < 5) {
        retries += 1;
        setTimeout(open, 2000 * retries);
      }
    };
  }

  window.consultLive = false;
  open();
})();
