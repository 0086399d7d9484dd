const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const errors = require('../../utils/errors.js');

const TEXT_MAX = 500;

// 医生的快捷回复：新增、修改（点一条进入编辑）、删除
Component({
  data: { replies: [], text: '', editingId: 0, textMax: TEXT_MAX, saving: false, saveError: '', loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      return this.reload();
    },
    reload: function () {
      return page.load(this, function () {
        return api.call('consultQuickReplies').then(function (replies) {
          return { replies: replies, empty: replies.length === 0 };
        });
      });
    },
    onInput: function (e) {
      this.setData({ text: e.detail.value });
    },
    onEdit: function (e) {
      const reply = this.data.replies[e.currentTarget.dataset.index];
      this.setData({ editingId: reply.id, text: reply.text, saveError: '' });
    },
    onCancelEdit: function () {
      this.setData({ editingId: 0, text: '', saveError: '' });
    },
    onSave: function () {
      const self = this;
      const text = self.data.text.trim();
      if (!text) {
        self.setData({ saveError: '请输入回复内容' });
        return Promise.resolve(false);
      }
      self.setData({ saving: true, saveError: '' });
      const id = self.data.editingId;
      const request = id
        ? api.call('consultQuickReplyUpdate', { params: { reply_id: id }, body: { text: text } })
        : api.call('consultQuickReplyCreate', { body: { text: text } });
      return request.then(function (reply) {
        const replies = id
          ? self.data.replies.map(function (r) { return r.id === id ? reply : r; })
          : self.data.replies.concat([reply]);
        self.setData({ saving: false, replies: replies, empty: false, text: '', editingId: 0 });
        return true;
      }, function (err) {
        self.setData({ saving: false, saveError: errors.errorText(err) });
        return false;
      });
    },
    onDelete: function (e) {
      const self = this;
      const id = e.currentTarget.dataset.id;
      return page.confirm('确定删除这条快捷回复吗？').then(function (ok) {
        if (!ok) {
          return null;
        }
        return api.call('consultQuickReplyDelete', { params: { reply_id: id } }).then(function () {
          const replies = self.data.replies.filter(function (r) { return r.id !== id; });
          self.setData({ replies: replies, empty: replies.length === 0 });
          if (self.data.editingId === id) {
            self.onCancelEdit();
          }
          return true;
        });
      }).catch(page.toastError);
    }
  }
});
