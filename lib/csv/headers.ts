/**
 * Canonical column names and the header spellings POS and shop exports use for them.
 * Matching is case-insensitive and ignores surrounding spaces, BOMs, and `-`/space vs `_`.
 */
export const ORDER_COLUMNS = [
  'order_id',
  'customer_id',
  'ordered_at',
  'amount',
  'currency',
  'status',
  'store_id',
  'channel',
  'region',
  'updated_at',
  'original_order_id',
  'points_redeemed',
  'products',
] as const;
export type OrderColumn = (typeof ORDER_COLUMNS)[number];

export const MEMBER_COLUMNS = [
  'customer_id',
  'name',
  'phone',
  'email',
  'birthday',
  'locale',
  'time_zone',
  'sms_opt_in',
  'email_opt_in',
  'updated_at',
] as const;
export type MemberColumn = (typeof MEMBER_COLUMNS)[number];

export const REQUIRED_ORDER_COLUMNS: readonly OrderColumn[] = ['order_id', 'customer_id', 'ordered_at', 'amount'];
export const REQUIRED_MEMBER_COLUMNS: readonly MemberColumn[] = ['customer_id'];

export const ORDER_HEADER_ALIASES: Record<string, OrderColumn> = {
  订单号: 'order_id',
  订单编号: 'order_id',
  会员号: 'customer_id',
  会员编号: 'customer_id',
  会员卡号: 'customer_id',
  下单时间: 'ordered_at',
  订单时间: 'ordered_at',
  实付金额: 'amount',
  金额: 'amount',
  币种: 'currency',
  订单状态: 'status',
  门店编号: 'store_id',
  门店代码: 'store_id',
  渠道: 'channel',
  地区: 'region',
  更新时间: 'updated_at',
  原订单号: 'original_order_id',
  积分抵扣: 'points_redeemed',
  使用积分: 'points_redeemed',
  商品编码: 'products',
  商品: 'products',
  货号: 'products',
};

export const MEMBER_HEADER_ALIASES: Record<string, MemberColumn> = {
  会员号: 'customer_id',
  会员编号: 'customer_id',
  会员卡号: 'customer_id',
  姓名: 'name',
  手机号: 'phone',
  手机: 'phone',
  邮箱: 'email',
  电子邮箱: 'email',
  生日: 'birthday',
  语言: 'locale',
  时区: 'time_zone',
  短信订阅: 'sms_opt_in',
  邮件订阅: 'email_opt_in',
  更新时间: 'updated_at',
};

export function normaliseHeader(raw: string): string {
  return raw.replace(/^\uFEFF/, '').trim().toLowerCase().replace(/[\s-]+/g, '_');
}
