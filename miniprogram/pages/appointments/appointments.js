const api = require('../../api/index.js');
const page = require('../../utils/page.js');
const pager = require('../../utils/pager.js');
const format = require('../../utils/format.js');
const reschedule = require('../../utils/reschedule.js');

const FILTERS = [
  { value: '', label: '全部' },
  { value: 'pending_payment', label: '待支付' },
  { value: 'booked', label: '待就诊' },
  { value: 'completed', label: '已完成' },
  { value: 'cancelled', label: '已取消' }
];
const CANCELLABLE = ['pending_payment', 'booked'];

function cancelAppointment(id) {
  return page.confirm('确定取消这个预约吗？已支付的挂号费将按规则退回。').then(function (ok) {
    if (!ok) {
      return null;
    }
    return api.call('appointmentCancel', { params: { appointment_id: id }, body: { reason: '患者取消' } });
  });
}

Component({
  data: { filters: FILTERS, status: '', appointments: [], pageNo: 1, hasMore: false, loadingMore: false, loading: true, error: '', needLogin: false, empty: false },
  methods: {
    onLoad: function () {
      this.loaded = true;
      return this.reload();
    },
    onShow: function () {
      if (this.loaded && !this.data.loading) {
        this.reload();
      }
    },
    onPullDownRefresh: function () {
      return this.reload().then(function () {
        wx.stopPullDownRefresh();
      });
    },
    reload: function () {
      const status = this.data.status;
      return pager.first(this, {
        key: 'appointments',
        fetch: function (pageNo) {
          return api.call('appointmentList', { query: { status: status, page: pageNo } });
        },
        map: function (a) {
          return Object.assign({}, a, {
            visitText: format.dateTime(a.visit_starts_at),
            cancellable: CANCELLABLE.indexOf(a.status) >= 0,
            reschedulable: reschedule.canReschedule(a)
          });
        }
      });
    },
    onReachBottom: function () {
      return pager.more(this);
    },
    onFilter: function (e) {
      this.setData({ status: e.currentTarget.dataset.value });
      return this.reload();
    },
    onOpen: function (e) {
      wx.navigateTo({ url: '/pages/appointment/detail?id=' + e.currentTarget.dataset.id });
    },
    onReschedule: function (e) {
      const id = e.currentTarget.dataset.id;
      const a = this.data.appointments.filter(function (x) { return x.id === id; })[0];
      wx.navigateTo({ url: reschedule.startUrl(a) });
    },
    onPay: function (e) {
      wx.navigateTo({ url: '/pages/pay/pay?appointment=' + e.currentTarget.dataset.id });
    },
    onCancel: function (e) {
      const self = this;
      return cancelAppointment(e.currentTarget.dataset.id).then(function (done) {
        if (done) {
          wx.showToast({ title: '已取消', icon: 'success' });
          return self.reload();
        }
        return null;
      }, page.toastError);
    }
  }
});
