const api = require('../../api/index.js');
const pager = require('../../utils/pager.js');
const consult = require('../../utils/consult.js');

// 按状态分组的标签：服务器按 status 筛选（可重复），翻页也在这一类里
const FILTERS = [
  { value: '', label: '全部', statuses: [] },
  { value: 'todo', label: '待回复', statuses: ['waiting'] },
  { value: 'open', label: '问诊中', statuses: ['in_progress'] },
  { value: 'unpaid', label: '待支付', statuses: ['awaiting_payment'] },
  { value: 'done', label: '已结束', statuses: ['closed', 'rated', 'cancelled'] }
];

function statusesOf(filter) {
  const f = FILTERS.filter(function (x) { return x.value === filter; })[0];
  return f ? f.statuses : [];
}

// 我的问诊：患者看自己发起的，医生看发给自己的（同一个接口，服务器按身份返回）
Component({
  data: {
    filters: FILTERS, filter: '', doctor: false, consults: [], pageNo: 1, hasMore: false, loadingMore: false,
    loading: true, error: '', needLogin: false, empty: false
  },
  methods: {
    onLoad: function (options) {
      this.loaded = true;
      if (options && options.filter) {
        this.setData({ filter: options.filter });
      }
      return this.reload();
    },
    onShow: function () {
      if (this.loaded && !this.data.loading) {
        this.reload(); // 从对话、支付页回来时状态可能变了
      }
    },
    onPullDownRefresh: function () {
      return this.reload().then(function () {
        wx.stopPullDownRefresh();
      });
    },
    reload: function () {
      const self = this;
      return pager.first(self, {
        key: 'consults',
        fetch: function (pageNo) {
          return api.call('consultList', { query: { page: pageNo, status: statusesOf(self.data.filter) } });
        },
        map: consult.consultView,
        extra: function () {
          return api.call('me').then(function (me) {
            const doctor = me.role === 'doctor';
            wx.setNavigationBarTitle({ title: doctor ? '问诊工作台' : '我的问诊' });
            return { doctor: doctor };
          });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    },
    onFilter: function (e) {
      this.setData({ filter: e.currentTarget.dataset.value });
      return this.reload();
    },
    onOpen: function (e) {
      wx.navigateTo({ url: '/pages/consult/chat?id=' + e.currentTarget.dataset.id });
    },
    onPay: function (e) {
      wx.navigateTo({ url: '/pages/pay/pay?consult=' + e.currentTarget.dataset.id });
    }
  }
});
