// 爽约记录与申诉：某个就诊人的爽约 / 逾期取消记录、正在生效的预约限制（原因和截止日期），
// 对一条记录提交申诉（理由 + 可选的图片附件），以及我的申诉的处理结果。
const api = require('../../api/index.js');
const page = require('../../utils/page.js');

const APPEAL_STATUS = { pending: '待处理', accepted: '已通过', rejected: '已驳回' };

function entryView(entry) {
  const last = entry.appeals.length ? entry.appeals[0] : null;
  return Object.assign({}, entry, {
    when: (entry.visit_starts_at || '').slice(0, 16).replace('T', ' '),
    appealText: last ? APPEAL_STATUS[last.status] || last.status : '',
    appealNote: last ? last.decision_note : '',
    canAppeal: !entry.voided && !(last && last.status === 'pending')
  });
}

Component({
  data: {
    profileId: 0, entries: [], restrictions: [], appeals: [], loading: true, error: '', needLogin: false,
    empty: false, appealing: 0, reason: '', filePath: '', sending: false
  },
  methods: {
    onLoad: function (options) {
      this.setData({ profileId: Number((options && options.profile_id) || 0) });
      return this.reload();
    },
    reload: function () {
      const id = this.data.profileId;
      return page.load(this, function () {
        return Promise.all([
          api.call('ledgerProfile', { params: { profile_id: id } }),
          api.call('ledgerAppeals')
        ]).then(function (answers) {
          const ledger = answers[0];
          return {
            entries: ledger.entries.map(entryView),
            restrictions: ledger.restrictions,
            appeals: answers[1].map(function (a) {
              return Object.assign({}, a, { statusText: APPEAL_STATUS[a.status] || a.status });
            }),
            empty: ledger.entries.length === 0
          };
        });
      });
    },
    onAppeal: function (e) {
      this.setData({ appealing: e.currentTarget.dataset.id, reason: '', filePath: '' });
    },
    onCancelAppeal: function () {
      this.setData({ appealing: 0 });
    },
    onReason: function (e) {
      this.setData({ reason: e.detail.value });
    },
    onChoose: function () {
      const self = this;
      return new Promise(function (resolve) {
        wx.chooseMedia({
          count: 1,
          mediaType: ['image'],
          success: function (res) {
            self.setData({ filePath: res.tempFiles[0].tempFilePath });
            resolve(true);
          },
          fail: function () {
            resolve(false);
          }
        });
      });
    },
    onSubmit: function () {
      const self = this;
      const reason = (this.data.reason || '').trim();
      if (!reason) {
        wx.showToast({ title: '请填写申诉理由', icon: 'none' });
        return Promise.resolve(false);
      }
      const params = { entry_id: this.data.appealing };
      this.setData({ sending: true });
      const sent = this.data.filePath
        ? api.upload('ledgerAppealUpload', { params: params, filePath: this.data.filePath, formData: { reason: reason } })
        : api.call('ledgerAppeal', { params: params, body: { reason: reason } });
      return sent.then(function () {
        wx.showToast({ title: '申诉已提交', icon: 'success' });
        self.setData({ appealing: 0, sending: false });
        return self.reload();
      }, function (err) {
        self.setData({ sending: false });
        page.toastError(err);
        return false;
      });
    }
  }
});
