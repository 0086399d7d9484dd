const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const consult = require('../../utils/consult.js');
const consultLive = require('../../utils/consult-live.js');

const LIVE_TEXT = { connecting: '正在连接…', waiting: '连接已断开，正在重连…' };
// 这些状态下对话还会变（付款、医生回复、结束），页面开着时跟着实时消息
const FOLLOW = ['awaiting_payment', 'waiting', 'in_progress'];

// 评价的五颗星（WXML 里不写比较）
function starList(n) {
  return [1, 2, 3, 4, 5].map(function (v) {
    return { value: v, on: v <= n };
  });
}

// 问诊对话（患者和医生共用）：先读完全部消息，再跟着实时消息；发文字、发图片、看大图、
// 长按撤回自己 2 分钟内的消息或举报对方的消息；结束问诊；患者评价；医生写诊断建议、用快捷回复。
Component({
  data: {
    consult: {}, messages: [], party: 'patient', doctor: false, text: '', sending: false, uploads: [],
    liveText: '', quickReplies: [], showReplies: false, stars: 0, starList: starList(0), comment: '', rating: false,
    advice: '', savingAdvice: false, scrollTo: '', loading: true, error: '', needLogin: false
  },
  lifetimes: {
    detached: function () {
      this.stopLive();
    }
  },
  methods: {
    onLoad: function (options) {
      this.consultId = Number(options.id);
      return this.reload();
    },
    onUnload: function () {
      this.stopLive();
    },
    reload: function () {
      const self = this;
      const id = self.consultId;
      self.stopLive();
      return page.load(self, function () {
        return api.call('me').then(function (me) {
          const doctor = me.role === 'doctor';
          return Promise.all([
            api.call('consultDetail', { params: { consult_id: id } }),
            consultLive.fetchAfter(id, 0, 100),
            doctor ? api.call('consultQuickReplies').catch(function () { return []; }) : []
          ]).then(function (answers) {
            self.raw = {};
            answers[1].forEach(function (m) {
              self.raw[m.id] = m;
            });
            const party = doctor ? 'doctor' : 'patient';
            return {
              doctor: doctor,
              party: party,
              consult: consult.consultView(answers[0]),
              messages: self.views(party),
              quickReplies: answers[2],
              advice: answers[0].advice || '',
              scrollTo: self.lastAnchor()
            };
          });
        });
      }).then(function (ok) {
        if (ok) {
          self.startLive();
        }
        return ok;
      });
    },
    startLive: function () {
      const self = this;
      if (FOLLOW.indexOf(self.data.consult.status) < 0) {
        return;
      }
      const ids = Object.keys(self.raw).map(Number);
      self.live = consultLive.create({
        consultId: self.consultId,
        after: ids.length ? Math.max.apply(null, ids) : 0,
        onMessages: function (list) {
          self.merge(list);
        },
        onRecalled: function (messageId) {
          const m = self.raw[messageId];
          if (m) {
            self.merge([Object.assign({}, m, { recalled: true, text: null, image: null })]);
          }
        },
        onConsult: function () {
          self.refreshConsult();
        },
        onState: function (state) {
          self.setData({ liveText: LIVE_TEXT[state] || '' });
        }
      });
      self.live.start();
    },
    stopLive: function () {
      if (this.live) {
        this.live.stop();
        this.live = null;
      }
    },
    views: function (party) {
      const raw = this.raw;
      const now = Date.now();
      return Object.keys(raw).map(Number).sort(function (a, b) { return a - b; }).map(function (id) {
        return consult.messageView(raw[id], party || this.data.party, now);
      }, this);
    },
    lastAnchor: function () {
      const ids = Object.keys(this.raw || {}).map(Number);
      return ids.length ? 'm' + Math.max.apply(null, ids) : '';
    },
    // 新消息或变了的消息（撤回）：按 id 合并，同一条只出现一次
    merge: function (list) {
      const self = this;
      list.forEach(function (m) {
        self.raw[m.id] = m;
      });
      if (self.live) {
        self.live.remember(list);
      }
      self.setData({ messages: self.views(), scrollTo: self.lastAnchor() });
    },
    refreshConsult: function () {
      const self = this;
      return api.call('consultDetail', { params: { consult_id: self.consultId } }).then(function (c) {
        self.setConsult(c);
      }, function () {
        return null;
      });
    },
    setConsult: function (c) {
      this.setData({ consult: consult.consultView(c) });
      if (FOLLOW.indexOf(c.status) < 0) {
        this.stopLive();
      }
    },
    onInput: function (e) {
      this.setData({ text: e.detail.value });
    },
    onSend: function () {
      const self = this;
      const text = self.data.text.trim();
      if (!text || self.data.sending) {
        return Promise.resolve(false);
      }
      self.setData({ sending: true });
      return api.call('consultSend', { params: { consult_id: self.consultId }, body: { text: text } }).then(function (m) {
        self.setData({ sending: false, text: '', showReplies: false });
        self.merge([m]);
        if (self.data.consult.status === 'waiting' && self.data.doctor) {
          self.refreshConsult(); // 医生的第一条回复开始问诊
        }
        return true;
      }, function (err) {
        self.setData({ sending: false });
        page.toastError(err);
        return false;
      });
    },
    onChooseImage: function () {
      const self = this;
      return consult.chooseImages(consult.MAX_IMAGES).then(function (paths) {
        const start = self.data.uploads.length;
        self.setData({ uploads: self.data.uploads.concat(paths.map(function (p) {
          return { path: p, progress: 0, error: '' };
        })) });
        return self.sendImages(paths.map(function (p, i) { return start + i; }));
      });
    },
    // 发送 uploads 里这几张图（一张张传）；传上的变成消息，失败的留在列表里可重试
    sendImages: function (indexes) {
      const self = this;
      const paths = indexes.map(function (i) { return self.data.uploads[i].path; });
      return consult.uploadEach('consultSendImage', { consult_id: self.consultId }, paths, function (n, state) {
        const change = {};
        change['uploads[' + indexes[n] + ']'] = Object.assign({}, self.data.uploads[indexes[n]], state);
        self.setData(change);
      }).then(function (results) {
        const sent = results.filter(function (r) { return r.ok; });
        if (sent.length) {
          self.merge(sent.map(function (r) { return r.data; }));
        }
        self.setData({ uploads: self.data.uploads.filter(function (u) { return !u.done; }) });
        return sent.length;
      });
    },
    onRetryImage: function (e) {
      const index = e.currentTarget.dataset.index;
      const change = {};
      change['uploads[' + index + '].error'] = '';
      this.setData(change);
      return this.sendImages([index]);
    },
    onDropImage: function (e) {
      const uploads = this.data.uploads.slice();
      uploads.splice(e.currentTarget.dataset.index, 1);
      this.setData({ uploads: uploads });
    },
    onPreview: function (e) {
      const urls = this.data.messages.filter(function (m) { return m.src; }).map(function (m) { return m.src; });
      wx.previewImage({ current: e.currentTarget.dataset.src, urls: urls });
    },
    onPreviewProblem: function (e) {
      const urls = this.data.consult.problemImages.map(function (i) { return i.src; });
      wx.previewImage({ current: e.currentTarget.dataset.src, urls: urls });
    },
    // 长按一条消息：自己的 2 分钟内可撤回，对方的可举报
    onLongPress: function (e) {
      const self = this;
      const m = self.data.messages[e.currentTarget.dataset.index];
      if (!m || m.recalled) {
        return Promise.resolve(null);
      }
      const fresh = consult.messageView(self.raw[m.id], self.data.party, Date.now());
      const items = [];
      if (fresh.canRecall) {
        items.push({ label: '撤回', run: function () { return self.recall(m.id); } });
      }
      if (!fresh.mine) {
        items.push({ label: '举报', run: function () { return self.report(m.id); } });
      }
      if (!items.length) {
        wx.showToast({ title: '超过 2 分钟的消息不能撤回', icon: 'none' });
        return Promise.resolve(null);
      }
      return consult.actionSheet(items.map(function (i) { return i.label; })).then(function (index) {
        return items[index] ? items[index].run() : null;
      });
    },
    recall: function (messageId) {
      const self = this;
      return api.call('consultRecall', { params: { message_id: messageId } }).then(function (m) {
        self.merge([m]);
        return true;
      }, page.toastError);
    },
    report: function (messageId) {
      const reasons = consult.REPORT_REASONS;
      return consult.actionSheet(reasons.map(function (r) { return r.label; })).then(function (index) {
        if (index < 0) {
          return null;
        }
        return consult.prompt('举报：' + reasons[index].label, '补充说明（选填）').then(function (comment) {
          if (comment === null) {
            return null;
          }
          return api.call('consultReport', {
            params: { message_id: messageId },
            body: { reason: reasons[index].value, comment: comment.trim() }
          }).then(function () {
            wx.showToast({ title: '已举报，我们会尽快处理', icon: 'none' });
            return true;
          });
        });
      }).catch(page.toastError);
    },
    onClose: function () {
      const self = this;
      const ask = self.data.doctor ? '结束后双方都不能再发消息，确定结束这次问诊吗？' : '结束后不能再向医生提问，确定结束这次问诊吗？';
      return page.confirm(ask).then(function (ok) {
        if (!ok) {
          return null;
        }
        return api.call('consultClose', { params: { consult_id: self.consultId } }).then(function (c) {
          self.setConsult(c);
          wx.showToast({ title: '问诊已结束', icon: 'none' });
          return true;
        });
      }).catch(page.toastError);
    },
    onPay: function () {
      wx.redirectTo({ url: '/pages/pay/pay?consult=' + this.consultId });
    },
    onStar: function (e) {
      const n = Number(e.currentTarget.dataset.value);
      this.setData({ stars: n, starList: starList(n) });
    },
    onComment: function (e) {
      this.setData({ comment: e.detail.value });
    },
    onRate: function () {
      const self = this;
      if (!self.data.stars) {
        wx.showToast({ title: '请先选择星级', icon: 'none' });
        return Promise.resolve(false);
      }
      self.setData({ rating: true });
      return api.call('consultRate', {
        params: { consult_id: self.consultId },
        body: { stars: self.data.stars, comment: self.data.comment.trim() }
      }).then(function (c) {
        self.setData({ rating: false });
        self.setConsult(c);
        wx.showToast({ title: '感谢您的评价', icon: 'none' });
        return true;
      }, function (err) {
        self.setData({ rating: false });
        page.toastError(err);
        return false;
      });
    },
    // 医生：快捷回复（点一条插入输入框）和诊断建议
    onToggleReplies: function () {
      this.setData({ showReplies: !this.data.showReplies });
    },
    onQuickReply: function (e) {
      const reply = this.data.quickReplies[e.currentTarget.dataset.index];
      const text = this.data.text;
      this.setData({ text: text ? text + reply.text : reply.text, showReplies: false });
    },
    onManageReplies: function () {
      wx.navigateTo({ url: '/pages/consult/replies' });
    },
    onAdviceInput: function (e) {
      this.setData({ advice: e.detail.value });
    },
    onAdvice: function () {
      const self = this;
      const advice = self.data.advice.trim();
      if (!advice) {
        wx.showToast({ title: '请填写诊断建议', icon: 'none' });
        return Promise.resolve(false);
      }
      self.setData({ savingAdvice: true });
      return api.call('consultAdvice', { params: { consult_id: self.consultId }, body: { advice: advice } }).then(function () {
        self.setData({ savingAdvice: false });
        wx.showToast({ title: '诊断建议已保存', icon: 'none' });
        return self.refreshConsult().then(function () {
          return true;
        });
      }, function (err) {
        self.setData({ savingAdvice: false });
        page.toastError(err);
        return false;
      });
    }
  }
});
